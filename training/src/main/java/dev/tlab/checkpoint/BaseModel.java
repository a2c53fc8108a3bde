package dev.tlab.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The frozen base a LoRA run's adapter belongs to, as its checkpoints record it: where it is (a
 * tlab checkpoint or a Hugging Face folder), the run config it describes, and the SHA-256 of each of
 * its weight files. The adapter means nothing over other weights, so a base that changed since is
 * refused, naming the file.
 *
 * @param path the base's absolute path
 * @param config the base's run config tree (its model section is the run's model)
 * @param files weight file name (relative to {@code path}) to its SHA-256
 */
public record BaseModel(String path, JsonNode config, Map<String, String> files) {

    /** Where a sharded Hugging Face folder names its weight files. */
    static final String SHARD_INDEX = "model.safetensors.index.json";

    /** Identifies the base at {@code path}, hashing its weight files. */
    public static BaseModel of(Path path, JsonNode config) {
        Path dir = path.toAbsolutePath().normalize();
        Map<String, String> files = new LinkedHashMap<>();
        for (Path file : weightFiles(dir)) {
            files.put(dir.relativize(file).toString(), sha256(file));
        }
        return new BaseModel(dir.toString(), config, files);
    }

    /** Refuses a base that is gone or whose weight files are not the ones the adapter was trained over. */
    public void verify() {
        Path dir = Path.of(path);
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("the LoRA base " + dir + " is gone; the adapter needs the weights it was trained over");
        }
        for (var entry : files.entrySet()) {
            Path file = dir.resolve(entry.getKey());
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("the LoRA base changed: " + file + " is missing");
            }
            String now = sha256(file);
            if (!now.equals(entry.getValue())) {
                throw new ConfigException("the LoRA base changed: " + file + " has SHA-256 " + now.substring(0, 12)
                        + "..., the adapter was trained over " + entry.getValue().substring(0, 12)
                        + "...; restore that file or fine-tune a new adapter");
            }
        }
    }

    /**
     * The base's weights by tlab name: a tlab checkpoint's own file, or a model folder read by {@code
     * folders} (the Hugging Face reader, which maps names as {@code tlab finetune --from} does).
     */
    public TensorSource weights(Function<Path, TensorSource> folders) {
        Path dir = Path.of(path);
        if (Files.isRegularFile(dir.resolve(CheckpointDirectory.STATE_FILE))) {
            return TensorSource.of(SafeTensors.map(dir.resolve(CheckpointDirectory.MODEL_FILE)));
        }
        return folders.apply(dir);
    }

    /** A checkpoint's {@code model.safetensors}; a Hugging Face folder's one file or every shard its index names. */
    static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve(CheckpointDirectory.MODEL_FILE);
        Path index = dir.resolve(SHARD_INDEX);
        if (Files.isRegularFile(single) || !Files.isRegularFile(index)) {
            return List.of(single);
        }
        try {
            TreeSet<String> shards = new TreeSet<>();
            new ObjectMapper().readTree(index.toFile()).path("weight_map").forEach(node -> shards.add(node.asText()));
            List<Path> out = new ArrayList<>();
            shards.forEach(name -> out.add(dir.resolve(name)));
            return out;
        } catch (IOException e) {
            throw new ConfigException(index + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static String sha256(Path file) {
        try {
            return DurableFiles.sha256(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
