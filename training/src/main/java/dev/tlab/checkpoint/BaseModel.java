package dev.tlab.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.hf.Gpt2Folder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

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

    /** The base's weights by tlab name (a Hugging Face folder mapped as {@code tlab finetune --from} maps it). */
    public TensorSource weights() {
        return source(Path.of(path));
    }

    /** The weights of a base at {@code dir}: a Hugging Face folder or a tlab checkpoint. */
    public static TensorSource source(Path dir) {
        if (Gpt2Folder.isFolder(dir)) {
            return Gpt2Folder.open(dir);
        }
        return TensorSource.of(SafeTensors.map(dir.resolve(CheckpointDirectory.MODEL_FILE)));
    }

    /** A checkpoint's {@code model.safetensors}; a Hugging Face folder's one file or every shard its index names. */
    static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve(CheckpointDirectory.MODEL_FILE);
        Path index = dir.resolve(Gpt2Folder.INDEX);
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
