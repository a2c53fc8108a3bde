package dev.tlab.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any Hugging Face {@code tokenizer.json} ({@code data.tokenizer: hf}), run by Hugging Face's own
 * Rust library through DJL. Ids are plain: no special tokens added around the text, no truncation,
 * no padding. Special tokens written in the text (added tokens) still encode as their ids.
 *
 * <p>The files a model folder keeps beside it ({@link #COMPANIONS}: {@code tokenizer_config.json}
 * with its chat template, {@code generation_config.json}) travel with it into checkpoints and
 * exports, and say which token begins a text ({@link #beginOfText}: added before a prompt when
 * the tokenizer's post-processor or {@code add_bos_token} says so) and which ones end it ({@link
 * #endOfText}: {@code generation_config.json}'s {@code eos_token_id}, else {@code eos_token}).
 *
 * <p>Holds a native tokenizer: {@link #close} frees it (the garbage collector would too, later).
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> PLAIN_IDS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    /** Files read and saved beside {@code tokenizer.json} when present. */
    public static final List<String> COMPANIONS =
            List.of("tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json");

    private final byte[] file;
    private final Map<String, byte[]> companions;
    private final int beginOfText;
    private final int[] endOfText;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final int documentSeparator;
    private final String fingerprint;

    private HfTokenizer(byte[] file, Map<String, byte[]> companions, int beginOfText, int[] endOfText,
            HuggingFaceTokenizer tokenizer, int vocabSize, int documentSeparator) {
        this.file = file;
        this.companions = companions;
        this.beginOfText = beginOfText;
        this.endOfText = endOfText;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.documentSeparator = documentSeparator;
        this.fingerprint = Fingerprint.of(file);
    }

    /** @throws IllegalArgumentException in one line naming {@code path} if it cannot be read or loaded */
    public static HfTokenizer load(Path path) {
        byte[] bytes;
        JsonNode root;
        try {
            bytes = Files.readAllBytes(path);
            root = JSON.readTree(bytes);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(path + ": no such file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(path + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw new IllegalArgumentException(path + ": not a tokenizer.json (no \"model\" object)");
        }
        preferCpuBuild();
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), PLAIN_IDS);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(path + ": Hugging Face tokenizers cannot load it: " + firstLine(e));
        }
        Map<String, byte[]> companions = new LinkedHashMap<>();
        Map<String, JsonNode> read = new LinkedHashMap<>();
        for (String name : COMPANIONS) {
            Path companion = path.resolveSibling(name);
            if (Files.isRegularFile(companion)) {
                try {
                    companions.put(name, Files.readAllBytes(companion));
                    if (name.endsWith(".json")) {
                        read.put(name, JSON.readTree(companions.get(name)));
                    }
                } catch (IOException e) {
                    throw new IllegalArgumentException(companion + ": cannot read: " + e.getMessage());
                }
            }
        }
        JsonNode config = read.getOrDefault("tokenizer_config.json", JSON.createObjectNode());
        JsonNode generation = read.getOrDefault("generation_config.json", JSON.createObjectNode());
        Map<String, Integer> added = new HashMap<>();
        root.path("added_tokens").forEach(t -> added.put(t.path("content").asText(), t.path("id").asInt()));
        int bos = addsBeginOfText(root, config, added);
        int[] eos = ids(generation.path("eos_token_id"));
        if (eos.length == 0) {
            int id = added.getOrDefault(tokenText(config.path("eos_token")), -1);
            eos = id >= 0 ? new int[] {id} : new int[0];
        }
        return new HfTokenizer(bytes, companions, bos, eos, tokenizer, vocabSize(root), separator(root));
    }

    /**
     * The token the model expects before every text, or -1: the first token of the post-processor's
     * template (Llama 3), or {@code bos_token} where {@code add_bos_token} is true (older Llama
     * and Mistral); {@code add_bos_token: false} turns it off.
     */
    private static int addsBeginOfText(JsonNode root, JsonNode config, Map<String, Integer> added) {
        JsonNode flag = config.path("add_bos_token");
        int bos = added.getOrDefault(tokenText(config.path("bos_token")), -1);
        if (flag.isBoolean()) {
            return flag.asBoolean() ? bos : -1;
        }
        JsonNode processor = root.path("post_processor");
        List<JsonNode> processors = new ArrayList<>();
        if (processor.path("type").asText().equals("Sequence")) {
            processor.path("processors").forEach(processors::add);
        } else {
            processors.add(processor);
        }
        for (JsonNode p : processors) {
            if (p.path("type").asText().equals("TemplateProcessing")) {
                JsonNode first = p.path("single").path(0).path("SpecialToken");
                if (first.isObject()) {
                    JsonNode ids = p.path("special_tokens").path(first.path("id").asText()).path("ids");
                    return ids.size() == 1 ? ids.get(0).asInt() : added.getOrDefault(first.path("id").asText(), -1);
                }
            }
        }
        return -1;
    }

    /** A special token as tokenizer_config.json writes it: a string, or an object with its content. */
    private static String tokenText(JsonNode token) {
        return token.isObject() ? token.path("content").asText(null) : token.isTextual() ? token.asText() : null;
    }

    private static int[] ids(JsonNode node) {
        if (node.isIntegralNumber()) {
            return new int[] {node.asInt()};
        }
        List<Integer> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asInt()));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The token added before a prompt, or -1 where the model expects none. */
    @Override
    public int beginOfText() {
        return beginOfText;
    }

    /** The tokens that end a generated text (empty if the files name none). */
    @Override
    public int[] endOfText() {
        return endOfText.clone();
    }

    /** The companion files read beside {@code tokenizer.json}, by name. */
    public Map<String, byte[]> companions() {
        return Collections.unmodifiableMap(companions);
    }

    @Override
    public String kind() {
        return "hf";
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of the added token {@code <|endoftext|>}, or -1 if the file has none. */
    @Override
    public int documentSeparator() {
        return documentSeparator;
    }

    /** SHA-256 of the file's bytes. */
    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Writes the file as loaded to {@code dir/tokenizer.json}. */
    @Override
    public void save(Path dir) {
        try {
            Files.write(dir.resolve(FILE), file);
            for (var companion : companions.entrySet()) {
                Files.write(dir.resolve(companion.getKey()), companion.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] result = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            result[i] = (int) ids[i];
        }
        return result;
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            // The Rust side skips unknown ids silently; refuse them here as the other tokenizers do.
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException("token id " + ids[i] + " is outside the vocabulary 0.." + (vocabSize - 1));
            }
            wide[i] = ids[i];
        }
        return tokenizer.decode(wide, false);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** One more than the largest id in the model's vocabulary or the added tokens. */
    private static int vocabSize(JsonNode root) {
        JsonNode vocab = root.path("model").path("vocab");
        // BPE and WordPiece map token to id; Unigram lists [piece, score] in id order.
        int size = vocab.isArray() ? vocab.size() : 0;
        for (JsonNode id : vocab.isObject() ? vocab : JSON.createArrayNode()) {
            size = Math.max(size, id.asInt() + 1);
        }
        for (JsonNode token : root.path("added_tokens")) {
            size = Math.max(size, token.path("id").asInt() + 1);
        }
        return size;
    }

    private static int separator(JsonNode root) {
        for (JsonNode token : root.path("added_tokens")) {
            if (ByteLevelBpe.END_OF_TEXT.equals(token.path("content").asText())) {
                return token.path("id").asInt();
            }
        }
        return -1;
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline).strip();
    }

    /**
     * DJL picks the native library's flavour from the machine: on a CUDA host it looks for a CUDA
     * build of tokenizers, which its jar lacks, and downloads one. The CPU build in the jar is all a
     * tokenizer needs, so it is chosen here, unless RUST_FLAVOR is set already. DJL's usage report
     * (an HTTP call from EC2 hosts) is switched off likewise, unless OPT_OUT_TRACKING is set.
     */
    private static synchronized void preferCpuBuild() {
        for (String[] setting : new String[][] {{"RUST_FLAVOR", "cpu"}, {"OPT_OUT_TRACKING", "true"}}) {
            if (System.getenv(setting[0]) == null && System.getProperty(setting[0]) == null) {
                System.setProperty(setting[0], setting[1]);
            }
        }
    }
}
