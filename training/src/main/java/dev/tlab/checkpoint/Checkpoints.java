package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.checkpoint.CheckpointState.FileDigest;
import dev.tlab.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checkpoint directories {@code step-000500/} (and {@code best/}) with {@code model.safetensors},
 * {@code optimizer.safetensors} and {@code state.json}.
 *
 * <p>A checkpoint is written into {@code step-000500.tmp/}: the tensor files first, then {@code
 * state.json} with their sizes and SHA-256; each file and the directory are fsynced, and only
 * then is the directory renamed to its real name. Older checkpoints are deleted after that. A
 * directory counts as a checkpoint only if its state parses and every file matches the manifest,
 * so a crash at any moment leaves either the previous complete checkpoint or the new one.
 */
public final class Checkpoints {

    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String STATE_FILE = "state.json";
    public static final String BEST = "best";
    /** Optimizer tensors are {@code m.<parameter>} (first moment) and {@code v.<parameter>}. */
    public static final String MEAN_PREFIX = "m.";
    public static final String VARIANCE_PREFIX = "v.";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Checkpoints() {}

    /** The directory name of the checkpoint after {@code step} steps. */
    public static String stepName(long step) {
        return String.format("step-%06d", step);
    }

    /**
     * Writes a checkpoint atomically under {@code checkpointsDir/name}, replacing one of that name
     * only once the new one is complete.
     *
     * @param weights parameter name to weight
     * @param moments optimizer tensor name ({@code m.*}, {@code v.*}) to array
     * @param state everything but the manifest, which is filled in here
     */
    public static Path write(Path checkpointsDir, String name, Map<String, NDArray> weights,
            Map<String, NDArray> moments, CheckpointState state) {
        Path target = checkpointsDir.resolve(name);
        Path tmp = checkpointsDir.resolve(name + ".tmp");
        try {
            Files.createDirectories(checkpointsDir);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Map<String, String> metadata = Map.of("format", "pt", "tlab_step", Long.toString(state.step()));
            Map<String, FileDigest> files = new LinkedHashMap<>();
            files.put(MODEL_FILE, writeSynced(tmp.resolve(MODEL_FILE), out -> SafeTensors.write(out, weights, metadata)));
            files.put(OPTIMIZER_FILE,
                    writeSynced(tmp.resolve(OPTIMIZER_FILE), out -> SafeTensors.write(out, moments, metadata)));
            CheckpointState complete = state.withFiles(files);
            writeSynced(tmp.resolve(STATE_FILE), out -> JSON.writeValue(out, complete));
            syncDirectory(tmp);
            if (Files.exists(target)) {
                Path old = checkpointsDir.resolve(name + ".old");
                deleteTree(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(checkpointsDir);
                deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(checkpointsDir);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + target, e);
        }
    }

    /**
     * Deletes all but the newest {@code keep} complete step checkpoints, never {@code justWritten},
     * and leftovers of interrupted writes ({@code *.tmp}, {@code *.old}).
     */
    public static void prune(Path checkpointsDir, int keep, Path justWritten) {
        try {
            List<Path> all = list(checkpointsDir);
            for (int i = 0; i < all.size() - keep; i++) {
                if (!all.get(i).equals(justWritten)) {
                    deleteTree(all.get(i));
                }
            }
            try (Stream<Path> entries = Files.list(checkpointsDir)) {
                for (Path p : entries.toList()) {
                    String n = p.getFileName().toString();
                    if (n.endsWith(".tmp") || n.endsWith(".old")) {
                        deleteTree(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prune checkpoints in " + checkpointsDir, e);
        }
    }

    /** Step checkpoints whose files match their manifest by size, oldest first. */
    public static List<Path> list(Path checkpointsDir) {
        return stepDirectories(checkpointsDir).stream().filter(p -> problem(p, false) == null).toList();
    }

    /** Every {@code step-NNNNNN} directory, complete or not, oldest first. */
    public static List<Path> stepDirectories(Path checkpointsDir) {
        if (!Files.isDirectory(checkpointsDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(checkpointsDir)) {
            return entries.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Why {@code checkpoint} is not complete, or null if it is.
     *
     * @param hashes also compare SHA-256 (reads every byte), not only sizes
     */
    public static String problem(Path checkpoint, boolean hashes) {
        Path stateFile = checkpoint.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            return STATE_FILE + " is missing";
        }
        CheckpointState state;
        try {
            state = parseState(stateFile);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        if (state.files() == null || !state.files().keySet().containsAll(List.of(MODEL_FILE, OPTIMIZER_FILE))) {
            return stateFile + " lists no " + MODEL_FILE + " and " + OPTIMIZER_FILE;
        }
        for (var entry : state.files().entrySet()) {
            Path file = checkpoint.resolve(entry.getKey());
            FileDigest expected = entry.getValue();
            try {
                if (!Files.isRegularFile(file)) {
                    return file + " is missing";
                }
                long size = Files.size(file);
                if (size != expected.bytes()) {
                    return file + " has " + size + " bytes, " + STATE_FILE + " records " + expected.bytes()
                            + (size < expected.bytes() ? " (truncated)" : "");
                }
                if (hashes && !sha256(file).equals(expected.sha256())) {
                    return file + " does not match the SHA-256 in " + STATE_FILE + " (corrupt)";
                }
            } catch (IOException e) {
                return file + ": cannot read (" + e.getMessage() + ")";
            }
        }
        return null;
    }

    /** The newest complete checkpoint of a run, and why any newer directories were passed over. */
    public record Found(Path checkpoint, List<String> skipped) {}

    /**
     * {@code path} is a checkpoint (it must be complete), a run directory or a checkpoints
     * directory (its newest complete step checkpoint, hashes verified, is taken).
     */
    public static Found locate(Path path) {
        if (Files.isRegularFile(path.resolve(STATE_FILE)) || path.getFileName() != null
                && path.getFileName().toString().matches("step-\\d+|" + BEST)) {
            String problem = problem(path, true);
            if (problem != null) {
                throw new ConfigException("checkpoint " + path + " is incomplete: " + problem);
            }
            return new Found(path, List.of());
        }
        Path dir = Files.isDirectory(path.resolve("checkpoints")) ? path.resolve("checkpoints") : path;
        List<Path> candidates = new ArrayList<>(stepDirectories(dir));
        List<String> skipped = new ArrayList<>();
        for (int i = candidates.size() - 1; i >= 0; i--) {
            String problem = problem(candidates.get(i), true);
            if (problem == null) {
                return new Found(candidates.get(i), List.copyOf(skipped));
            }
            skipped.add(candidates.get(i).getFileName() + ": " + problem);
        }
        if (!Files.exists(path)) {
            throw new ConfigException("no checkpoint found: " + path + " does not exist");
        }
        throw new ConfigException("no complete checkpoint found in " + path
                + (skipped.isEmpty() ? " (expected " + STATE_FILE + " or checkpoints/step-*/)"
                        : "; incomplete: " + String.join("; ", skipped)));
    }

    /** {@link #locate}, without the notes. */
    public static Path find(Path path) {
        return locate(path).checkpoint();
    }

    public static CheckpointState readState(Path checkpoint) {
        return parseState(checkpoint.resolve(STATE_FILE));
    }

    private static CheckpointState parseState(Path file) {
        CheckpointState state;
        try {
            state = JSON.readValue(file.toFile(), CheckpointState.class);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read checkpoint state (" + e.getMessage() + ")", e);
        }
        if (state.formatVersion() != CheckpointState.FORMAT_VERSION) {
            throw new ConfigException(file + ": checkpoint format " + state.formatVersion() + ", this tlab reads "
                    + CheckpointState.FORMAT_VERSION);
        }
        return state;
    }

    /**
     * Copies saved weights into the parameters, checking that names and shapes match exactly.
     *
     * @param rows maps vocabulary rows of the token table and head onto a new vocabulary
     */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager,
            VocabularyRows rows) {
        Path file = checkpoint.resolve(MODEL_FILE);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> saved = new LinkedHashMap<>(SafeTensors.read(file, scratch));
            List<String> missing = new ArrayList<>();
            List<String> wrongShape = new ArrayList<>();
            for (var entry : parameters.entrySet()) {
                NDArray source = saved.remove(entry.getKey());
                NDArray target = entry.getValue().getArray();
                if (source == null) {
                    missing.add(entry.getKey());
                } else if (rows.applies(entry.getKey(), source.getShape(), target.getShape())) {
                    target.set(rows.remap(source, target, false));
                } else if (!source.getShape().equals(target.getShape())) {
                    wrongShape.add("'" + entry.getKey() + "' is " + source.getShape() + ", the model's " + target.getShape());
                } else {
                    target.set(source.toType(target.getDataType(), false).toByteBuffer());
                }
            }
            if (!missing.isEmpty() || !wrongShape.isEmpty() || !saved.isEmpty()) {
                List<String> why = new ArrayList<>();
                if (!missing.isEmpty()) {
                    why.add("missing parameters " + missing);
                }
                if (!wrongShape.isEmpty()) {
                    why.add("different shapes: " + String.join(", ", wrongShape));
                }
                if (!saved.isEmpty()) {
                    why.add("parameters the model does not have: " + saved.keySet());
                }
                throw new ConfigException(file + " does not fit the model: " + String.join("; ", why));
            }
        }
    }

    /** {@link #loadWeights} with the vocabulary unchanged. */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager) {
        loadWeights(checkpoint, parameters, manager, VocabularyRows.IDENTITY);
    }

    /** Tensors of the optimizer file, in {@code scratch}. */
    public static Map<String, NDArray> readMoments(Path checkpoint, NDManager scratch) {
        return SafeTensors.read(checkpoint.resolve(OPTIMIZER_FILE), scratch);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes, flushes and fsyncs a new file; returns its size and SHA-256. */
    private static FileDigest writeSynced(Path file, Writer writer) throws IOException {
        MessageDigest digest = newDigest();
        long[] bytes = {0};
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream counted = new java.io.FilterOutputStream(Channels.newOutputStream(channel)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    bytes[0] += len;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    bytes[0]++;
                }

                @Override
                public void close() throws IOException {
                    flush(); // writers may close what they are given; the channel closes below
                }
            };
            var buffered = new java.io.BufferedOutputStream(new DigestOutputStream(counted, digest), 1 << 16) {
                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            writer.write(buffered);
            buffered.flush();
            channel.force(true);
        }
        return new FileDigest(bytes[0], HexFormat.of().formatHex(digest.digest()));
    }

    /** Makes renames and new entries durable; not possible on every platform, so best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open directories; the rename itself is still atomic there.
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
