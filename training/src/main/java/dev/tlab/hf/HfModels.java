package dev.tlab.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Path;

/** Which family a Hugging Face folder is: {@code config.json}'s {@code model_type} decides, here only. */
public final class HfModels {

    public static final String CONFIG = "config.json";
    /** The {@code model_type}s tlab imports. */
    public static final String TYPES = "gpt2, llama, mistral, qwen2, qwen3";

    private HfModels() {}

    /** Reads {@code dir/config.json} as its family's config, refusing what tlab cannot express. */
    public static HfModel read(Path dir) {
        Path file = dir.resolve(CONFIG);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": expected a JSON object");
        }
        // GPT-2 files from before model_type existed have none.
        String type = root.path("model_type").asText("gpt2");
        if (type.equals("gpt2")) {
            return Gpt2Config.read(dir);
        }
        LlamaFamily.Kind kind = LlamaFamily.Kind.of(type);
        if (kind == null) {
            throw new ConfigException(file + ": model_type '" + type + "' is not a family tlab imports (" + TYPES + ")");
        }
        return LlamaFamily.read(file, root, kind);
    }
}
