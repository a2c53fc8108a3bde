package dev.tlab.tokenize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link ByteLevelBpe} as Hugging Face's {@code tokenizer.json}, the file Python's
 * {@code tokenizers} and DJL load: a BPE model (vocabulary by byte-level text, merges in rank
 * order), the ByteLevel pre-tokenizer with GPT-2's pattern and no added prefix space, the ByteLevel
 * decoder, and the special tokens as added tokens that are cut out of the text before anything else.
 */
final class TokenizerJson {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerJson() {}

    static void write(ByteLevelBpe bpe, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (Map.Entry<String, Integer> special : bpe.specialTokens().entrySet()) {
            added.addObject()
                    .put("id", special.getValue())
                    .put("content", special.getKey())
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel());
        root.putNull("post_processor");
        root.set("decoder", byteLevel());

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < bpe.vocabSize(); id++) {
            // A special token is listed under its own text, as GPT-2's tokenizer.json does, which pins its id.
            vocab.put(textOf(bpe, id), id);
        }
        // "left right" strings: byte-level text never holds a space, and every tokenizers version reads this form.
        ArrayNode merges = model.putArray("merges");
        for (int[] merge : bpe.merges()) {
            merges.add(textOf(bpe, merge[0]) + " " + textOf(bpe, merge[1]));
        }
        JSON.writeValue(file.toFile(), root);
    }

    private static ObjectNode byteLevel() {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
        return node;
    }

    private static String textOf(ByteLevelBpe bpe, int id) {
        return bpe.isSpecial(id)
                ? new String(bpe.bytesOf(id), java.nio.charset.StandardCharsets.UTF_8)
                : ByteLevelAlphabet.encode(bpe.bytesOf(id));
    }

    /** @throws IllegalArgumentException naming the file and what in it is missing or unsupported */
    static ByteLevelBpe read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private static ByteLevelBpe parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a tokenizer.json (the top level is not an object)");
        }
        JsonNode model = root.path("model");
        require(model.path("type").asText().equals("BPE"), "model.type is " + describe(model.path("type"))
                + "; a bpe tokenizer needs BPE (data.tokenizer: hf loads other models)");
        require(isNull(root.path("normalizer")), "normalizer is " + describe(root.path("normalizer").path("type"))
                + "; a bpe tokenizer has none");
        JsonNode pre = root.path("pre_tokenizer");
        require(pre.path("type").asText().equals("ByteLevel"), "pre_tokenizer.type is " + describe(pre.path("type"))
                + "; a bpe tokenizer needs ByteLevel");
        require(pre.path("add_prefix_space").isBoolean() && !pre.path("add_prefix_space").asBoolean(),
                "pre_tokenizer.add_prefix_space must be false, is " + describe(pre.path("add_prefix_space")));
        require(pre.path("use_regex").asBoolean(true), "pre_tokenizer.use_regex must be true");
        require(isNull(model.path("dropout")), "model.dropout must be null, is " + describe(model.path("dropout")));
        require(model.path("continuing_subword_prefix").asText("").isEmpty(), "model.continuing_subword_prefix must be empty");
        require(model.path("end_of_word_suffix").asText("").isEmpty(), "model.end_of_word_suffix must be empty");
        require(!model.path("byte_fallback").asBoolean(false), "model.byte_fallback must be false");
        require(!model.path("ignore_merges").asBoolean(false), "model.ignore_merges must be false");

        Map<String, Integer> specials = new LinkedHashMap<>();
        int maxId = -1;
        for (JsonNode token : root.path("added_tokens")) {
            String content = token.path("content").asText("");
            JsonNode id = token.path("id");
            require(!content.isEmpty() && id.canConvertToInt() && id.asInt() >= 0,
                    "added_tokens has an entry without content or a non-negative id: " + token);
            for (String flag : List.of("lstrip", "rstrip", "single_word")) {
                require(!token.path(flag).asBoolean(false), "added token " + content + " has " + flag
                        + " true, which a bpe tokenizer does not support");
            }
            require(specials.put(content, id.asInt()) == null, "added token " + content + " is listed twice");
            maxId = Math.max(maxId, id.asInt());
        }

        JsonNode vocab = model.path("vocab");
        require(vocab.isObject(), "model.vocab is missing or not an object");
        Map<String, Integer> idOfText = new HashMap<>(2 * vocab.size());
        Map<Integer, byte[]> bytesOfId = new HashMap<>(2 * vocab.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String text = entry.getKey();
            if (!entry.getValue().canConvertToInt() || entry.getValue().asInt() < 0) {
                throw new IllegalArgumentException("model.vocab gives " + text + " the id " + entry.getValue()
                        + "; ids are non-negative integers");
            }
            int id = entry.getValue().asInt();
            idOfText.put(text, id);
            maxId = Math.max(maxId, id);
            Integer specialId = specials.get(text);
            if (specialId != null) {
                if (specialId != id) {
                    throw new IllegalArgumentException("added token " + text + " has id " + specialId
                            + " but model.vocab gives it " + id);
                }
                continue;
            }
            byte[] bytes = ByteLevelAlphabet.decode(text);
            if (bytes == null) {
                throw new IllegalArgumentException("model.vocab token " + text + " has a character outside the byte-level alphabet");
            }
            if (bytesOfId.put(id, bytes) != null) {
                throw new IllegalArgumentException("model.vocab gives the id " + id + " to two tokens");
            }
        }
        byte[][] tokens = new byte[maxId + 1][];
        bytesOfId.forEach((id, bytes) -> tokens[id] = bytes);

        JsonNode mergesNode = model.path("merges");
        require(mergesNode.isArray(), "model.merges is missing or not a list");
        int[][] merges = new int[mergesNode.size()][];
        int rank = 0;
        for (JsonNode merge : mergesNode) {
            String left;
            String right;
            String[] parts = merge.isTextual() ? merge.asText().split(" ", -1) : null;
            if (parts != null && parts.length == 2) {
                left = parts[0];
                right = parts[1];
            } else if (merge.isArray() && merge.size() == 2) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw new IllegalArgumentException("model.merges entry " + rank + " is " + merge
                        + "; expected \"left right\" or [left, right]");
            }
            Integer leftId = idOfText.get(left);
            Integer rightId = idOfText.get(right);
            if (leftId == null || rightId == null) {
                throw new IllegalArgumentException("model.merges entry " + rank + " (" + left + " " + right
                        + ") names a token not in model.vocab");
            }
            merges[rank++] = new int[] {leftId, rightId};
        }
        return new ByteLevelBpe(tokens, merges, specials);
    }

    private static boolean isNull(JsonNode node) {
        return node.isMissingNode() || node.isNull();
    }

    private static String describe(JsonNode node) {
        return isNull(node) ? "missing" : node.toString();
    }

    private static void require(boolean condition, String problem) {
        if (!condition) {
            throw new IllegalArgumentException(problem);
        }
    }
}
