package dev.tlab.checkpoint;

import dev.tlab.errors.ConfigException;
import dev.tlab.files.DiskSpace;
import dev.tlab.files.DurableFiles;
import dev.tlab.files.FileDigest;
import dev.tlab.tokenize.Tokenizer;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checkpoint directories {@code step-000500/} (and {@code best/}) with {@code model.safetensors},
 * {@code optimizer.safetensors} and {@code state.json}: writing one, listing and pruning them,
 * and finding the newest complete one.
 *
 * <p>A checkpoint is written into {@code step-000500.tmp/}: the tensor files first, then {@code
 * state.json} with their sizes and SHA-256; each file and the directory are fsynced, and only
 * then is the directory renamed to its real name ({@link DurableFiles}). Older checkpoints are
 * deleted after that. A directory counts as a checkpoint only if its state parses and every file
 * matches the manifest, so a crash at any moment leaves either the previous complete checkpoint or
 * the new one.
 */
public final class CheckpointDirectory {

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
    private static final YAMLMapper YAML = new YAMLMapper();

    private CheckpointDirectory() {}

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
            Map<String, NDArray> moments, CheckpointState state, Tokenizer tokenizer) {
        return write(checkpointsDir, name, SafeTensors.tensors(weights), SafeTensors.tensors(moments), state, tokenizer);
    }

    /** {@link #write}, with tensors whose bytes are produced one at a time as they are written. */
    public static Path write(Path checkpointsDir, String name, List<SafeTensors.Tensor> weights,
            List<SafeTensors.Tensor> moments, CheckpointState state, Tokenizer tokenizer) {
        Path target = checkpointsDir.resolve(name);
        Path tmp = null;
        try {
            tmp = DurableFiles.freshTemp(target);
            Map<String, String> metadata = Map.of("format", "pt", "tlab_step", Long.toString(state.step()));
            Map<String, FileDigest> files = new LinkedHashMap<>();
            files.put(MODEL_FILE, DurableFiles.writeSynced(tmp.resolve(MODEL_FILE),
                    out -> SafeTensors.write(out, weights, metadata)));
            files.put(OPTIMIZER_FILE, DurableFiles.writeSynced(tmp.resolve(OPTIMIZER_FILE),
                    out -> SafeTensors.write(out, moments, metadata)));
            // A BPE tokenizer travels with the weights (a Hugging Face one with its tokenizer_config.json
            // and generation_config.json); the manifest covers its files like the tensors.
            Path scratch = Files.createDirectories(tmp.resolve(".tokenizer"));
            tokenizer.save(scratch);
            try (Stream<Path> saved = Files.list(scratch)) {
                for (Path file : saved.sorted().toList()) {
                    String fileName = file.getFileName().toString();
                    files.put(fileName, DurableFiles.writeSynced(tmp.resolve(fileName), out -> Files.copy(file, out)));
                }
            }
            DurableFiles.deleteTree(scratch);
            CheckpointState complete = state.withFiles(files);
            DurableFiles.writeSynced(tmp.resolve(STATE_FILE), out -> JSON.writeValue(out, complete));
            DurableFiles.publish(tmp, target);
            tmp = null;
            return target;
        } catch (IOException | UncheckedIOException e) {
            if (!DiskSpace.isFull(e)) {
                throw new UncheckedIOException("cannot write checkpoint " + target, e instanceof IOException io ? io
                        : ((UncheckedIOException) e).getCause());
            }
            // The half-written directory would only hold the space the next attempt needs.
            deleteQuietly(tmp);
            tmp = null;
            long needed = weights.stream().mapToLong(SafeTensors.Tensor::bytes).sum()
                    + moments.stream().mapToLong(SafeTensors.Tensor::bytes).sum();
            List<Path> complete = list(checkpointsDir);
            throw DiskSpace.full(target, needed, complete.isEmpty() ? "no checkpoint was written before this one"
                    : "the newest complete step checkpoint, " + complete.get(complete.size() - 1).getFileName()
                            + ", is intact", e);
        } finally {
            // Whatever stopped the write (an error, an interrupt), the half-written directory goes.
            deleteQuietly(tmp);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            if (dir != null) {
                DurableFiles.deleteTree(dir);
            }
        } catch (IOException ignored) {
            // a later write starts from a fresh temporary directory anyway
        }
    }

    /**
     * Deletes all but the newest {@code keep} step checkpoints that validate (sizes and SHA-256),
     * never {@code justWritten}, and leftovers of interrupted writes ({@code *.tmp}, {@code *.old}).
     * A checkpoint that fails validation is neither counted nor deleted: counting a damaged newer
     * one would delete the newest good one, and it stays for the user to look at.
     *
     * @param verified checkpoints already found valid by this process, added to here, so that each
     *     is hashed once rather than at every save
     */
    public static void prune(Path checkpointsDir, int keep, Path justWritten, Set<Path> verified) {
        try {
            List<Path> all = new ArrayList<>(stepDirectories(checkpointsDir));
            Collections.reverse(all);
            int kept = 0;
            for (Path checkpoint : all) {
                boolean valid = checkpoint.equals(justWritten) || verified.contains(checkpoint)
                        || problem(checkpoint, true) == null;
                if (!valid) {
                    continue;
                }
                verified.add(checkpoint);
                if (kept < keep || checkpoint.equals(justWritten)) {
                    kept++;
                } else {
                    DurableFiles.deleteTree(checkpoint);
                    verified.remove(checkpoint);
                }
            }
            try (Stream<Path> entries = Files.list(checkpointsDir)) {
                for (Path p : entries.toList()) {
                    String n = p.getFileName().toString();
                    if (n.endsWith(".tmp") || n.endsWith(".old")) {
                        DurableFiles.deleteTree(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prune checkpoints in " + checkpointsDir, e);
        }
    }

    /** {@link #prune(Path, int, Path, Set)} with nothing verified yet. */
    public static void prune(Path checkpointsDir, int keep, Path justWritten) {
        prune(checkpointsDir, keep, justWritten, new HashSet<>());
    }

    /** Step checkpoints whose files match their manifest by size, oldest first. */
    public static List<Path> list(Path checkpointsDir) {
        return stepDirectories(checkpointsDir).stream().filter(p -> problem(p, false) == null).toList();
    }

    /** Whether a run's checkpoints directory holds any checkpoint, {@code best/} included, complete or not. */
    public static boolean hasCheckpoints(Path checkpointsDir) {
        return !stepDirectories(checkpointsDir).isEmpty() || Files.isDirectory(checkpointsDir.resolve(BEST));
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
                if (hashes && !DurableFiles.sha256(file).equals(expected.sha256())) {
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
     * directory: its newest complete checkpoint, hashes verified, is taken, {@code best/} included
     * (a run stopped while writing a step checkpoint may have a newer {@code best/}; at the same
     * step the step checkpoint is preferred).
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
        Path newest = null;
        for (int i = candidates.size() - 1; i >= 0 && newest == null; i--) {
            String problem = problem(candidates.get(i), true);
            if (problem == null) {
                newest = candidates.get(i);
            } else {
                skipped.add(candidates.get(i).getFileName() + ": " + problem);
            }
        }
        Path best = dir.resolve(BEST);
        if (Files.isDirectory(best)) {
            String problem = problem(best, true);
            if (problem == null && (newest == null || readState(best).step() > readState(newest).step())) {
                newest = best;
            } else if (problem != null && newest == null) {
                skipped.add(BEST + ": " + problem);
            }
        }
        if (newest != null) {
            return new Found(newest, List.copyOf(skipped));
        }
        if (!Files.exists(path)) {
            throw new ConfigException("no checkpoint found: " + path + " does not exist");
        }
        throw new ConfigException("no complete checkpoint found in " + path
                + (skipped.isEmpty() ? " (expected " + STATE_FILE + ", checkpoints/step-*/ or checkpoints/best/)"
                        : "; incomplete: " + String.join("; ", skipped)));
    }

    /** {@code --checkpoint}'s value for the newest complete checkpoint of a run, the default. */
    public static final String LATEST = "latest";

    /**
     * What {@code --checkpoint} picks in {@code run} (a run directory, or one of its checkpoints for
     * {@code latest} and a path), as a path for {@link #locate}: {@code latest} the run itself (its
     * newest complete checkpoint), {@code best} its {@code checkpoints/best/}, anything else a
     * checkpoint's path, as given or as a name inside the run's {@code checkpoints/} (e.g. {@code step-000500}).
     */
    public static Path choose(Path run, String which) {
        if (which.equals(LATEST)) {
            return run;
        }
        Path checkpoints = Files.isDirectory(run.resolve("checkpoints")) ? run.resolve("checkpoints") : run;
        if (which.equals(BEST)) {
            Path best = checkpoints.resolve(BEST);
            if (!Files.isDirectory(best)) {
                throw new ConfigException("--checkpoint best: " + (Files.isDirectory(run.resolve("checkpoints"))
                        ? run + " has no checkpoints/best/ yet (it is written at the run's first evaluation)"
                        : run + " is not a run directory (one holding checkpoints/)"));
            }
            return best;
        }
        if (which.isBlank()) {
            throw new ConfigException("--checkpoint: expected best, latest or a checkpoint's path, got an empty value");
        }
        Path given = Path.of(which);
        if (Files.isDirectory(given)) {
            return given;
        }
        Path named = checkpoints.resolve(which);
        if (!given.isAbsolute() && Files.isDirectory(named)) {
            return named;
        }
        throw new ConfigException("--checkpoint " + which + ": no such checkpoint (expected best, latest, a checkpoint"
                + " directory, or a name in " + checkpoints + ")");
    }

    /** {@link #locate}, without the notes. */
    public static Path find(Path path) {
        return locate(path).checkpoint();
    }

    /** The state of a checkpoint; its {@code config} is always the config tree, whatever the format. */
    public static CheckpointState readState(Path checkpoint) {
        return parseState(checkpoint.resolve(STATE_FILE));
    }

    private static CheckpointState parseState(Path file) {
        CheckpointState state;
        try {
            state = JSON.readValue(file.toFile(), CheckpointState.class);
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            // Valid JSON, but a field holds the wrong kind of value (e.g. "step": "four").
            String field = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("?");
            var where = e.getLocation();
            throw new ConfigException(file + ": damaged checkpoint state: field '" + field + "'"
                    + (where == null ? "" : " (line " + where.getLineNr() + ")") + " has the wrong type: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var where = e.getLocation();
            throw new ConfigException(file + ": damaged checkpoint state, not valid JSON"
                    + (where == null ? "" : " at line " + where.getLineNr()) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read checkpoint state (" + e.getMessage() + ")", e);
        }
        if (state.formatVersion() == CheckpointState.YAML_CONFIG_VERSION && state.config() != null
                && state.config().isTextual()) {
            state = state.withConfig(yamlTree(file, state.config().asText()));
        } else if (state.formatVersion() < CheckpointState.YAML_CONFIG_VERSION
                || state.formatVersion() > CheckpointState.FORMAT_VERSION) {
            throw new ConfigException(file + ": checkpoint format " + state.formatVersion() + ", this tlab reads "
                    + CheckpointState.YAML_CONFIG_VERSION + " to " + CheckpointState.FORMAT_VERSION);
        }
        if (state.config() == null || !state.config().isObject()) {
            throw new ConfigException(file + ": config: expected the run's config, got " + state.config());
        }
        state = state.upgraded();
        if (state.tokenizer() == null) {
            throw new ConfigException(file + ": tokenizer: missing; a format " + state.formatVersion()
                    + " checkpoint names the tokenizer its ids belong to");
        }
        return state;
    }

    /** Format 2 saved the resolved config as YAML text. */
    private static JsonNode yamlTree(Path file, String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": config: invalid YAML (" + e.getOriginalMessage() + ")", e);
        }
    }
}
