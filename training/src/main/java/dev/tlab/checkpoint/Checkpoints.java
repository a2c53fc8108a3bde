package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checkpoint directories {@code step-000500/} with {@code model.safetensors}, {@code
 * optimizer.safetensors} and {@code state.json}. Written into {@code step-000500.tmp/}, synced,
 * then renamed, so a crash never leaves a half-written directory under a real name, and older
 * checkpoints are deleted only after the new one is complete.
 */
public final class Checkpoints {

    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "state.json";
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoints() {}

    public static Path write(
            Path checkpointsDir,
            Map<String, Parameter> parameters,
            Map<String, NDArray> means,
            Map<String, NDArray> variances,
            CheckpointState state,
            int keep) {
        String name = String.format("step-%06d", state.step());
        Path target = checkpointsDir.resolve(name);
        Path tmp = checkpointsDir.resolve(name + ".tmp");
        try {
            Files.createDirectories(checkpointsDir);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            NDList weights = new NDList();
            parameters.forEach((key, p) -> weights.add(named(p.getArray(), key)));
            writeSynced(tmp.resolve(MODEL_FILE), out -> weights.encode(out, NDList.Encoding.SAFETENSORS));
            NDList moments = new NDList();
            means.forEach((key, m) -> moments.add(named(m, "m." + key)));
            variances.forEach((key, v) -> moments.add(named(v, "v." + key)));
            writeSynced(tmp.resolve(OPTIMIZER_FILE), out -> moments.encode(out, NDList.Encoding.SAFETENSORS));
            writeSynced(tmp.resolve(STATE_FILE), out -> JSON.writeValue(out, state));
            if (Files.exists(target)) {
                Path old = checkpointsDir.resolve(name + ".old");
                deleteTree(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            prune(checkpointsDir, keep);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    /** Complete checkpoints, oldest first. */
    public static List<Path> list(Path checkpointsDir) {
        if (!Files.isDirectory(checkpointsDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(checkpointsDir)) {
            return entries.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_FILE)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A run directory, a checkpoints directory or a checkpoint: the newest checkpoint in it. */
    public static Path find(Path path) {
        if (Files.isRegularFile(path.resolve(STATE_FILE))) {
            return path;
        }
        for (Path dir : List.of(path.resolve("checkpoints"), path)) {
            List<Path> found = list(dir);
            if (!found.isEmpty()) {
                return found.get(found.size() - 1);
            }
        }
        throw new ConfigException("no checkpoint found in " + path + " (expected " + STATE_FILE + " or checkpoints/step-*/)");
    }

    public static CheckpointState readState(Path checkpoint) {
        Path file = checkpoint.resolve(STATE_FILE);
        try {
            CheckpointState state = JSON.readValue(file.toFile(), CheckpointState.class);
            if (state.formatVersion() != CheckpointState.FORMAT_VERSION) {
                throw new ConfigException(
                        file + ": checkpoint format " + state.formatVersion() + ", this tlab reads " + CheckpointState.FORMAT_VERSION);
            }
            return state;
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read checkpoint state (" + e.getMessage() + ")", e);
        }
    }

    /** Copies saved weights into the parameters, checking that names and shapes match exactly. */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager) {
        Path file = checkpoint.resolve(MODEL_FILE);
        try (NDManager scratch = manager.newSubManager(); InputStream in = Files.newInputStream(file)) {
            NDList saved;
            try {
                saved = NDList.decode(scratch, in);
            } catch (RuntimeException e) {
                throw new ConfigException(file + ": corrupt or truncated safetensors file (" + e.getMessage() + ")", e);
            }
            Map<String, NDArray> byName = new java.util.HashMap<>();
            saved.forEach(a -> byName.put(a.getName(), a));
            for (var entry : parameters.entrySet()) {
                NDArray source = byName.remove(entry.getKey());
                NDArray target = entry.getValue().getArray();
                if (source == null) {
                    throw new ConfigException(file + ": missing parameter '" + entry.getKey() + "'");
                }
                if (!source.getShape().equals(target.getShape())) {
                    throw new ConfigException(
                            file + ": parameter '" + entry.getKey() + "' has shape " + source.getShape()
                                    + " but the model expects " + target.getShape());
                }
                target.set(source.toType(target.getDataType(), false).toByteBuffer());
            }
            if (!byName.isEmpty()) {
                throw new ConfigException(file + ": parameters the model does not have: " + byName.keySet());
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private static void writeSynced(Path file, Writer writer) throws IOException {
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // Writers may close what they are given; only the flush must reach the channel.
            var buffered = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel)) {
                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            writer.write(buffered);
            buffered.flush();
            channel.force(true);
        }
    }

    private static void prune(Path checkpointsDir, int keep) throws IOException {
        List<Path> all = list(checkpointsDir);
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
