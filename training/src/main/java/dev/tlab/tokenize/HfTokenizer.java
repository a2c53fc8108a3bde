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
import java.util.Map;

/**
 * Any Hugging Face {@code tokenizer.json} ({@code data.tokenizer: hf}), run by Hugging Face's own
 * Rust library through DJL. Ids are plain: no special tokens added around the text, no truncation,
 * no padding. Special tokens written in the text (added tokens) still encode as their ids.
 *
 * <p>Holds a native tokenizer: {@link #close} frees it (the garbage collector would too, later).
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> PLAIN_IDS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final byte[] file;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final int documentSeparator;
    private final String fingerprint;

    private HfTokenizer(byte[] file, HuggingFaceTokenizer tokenizer, int vocabSize, int documentSeparator) {
        this.file = file;
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
        return new HfTokenizer(bytes, tokenizer, vocabSize(root), separator(root));
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
