package dev.tlab.tokenize;

import dev.tlab.errors.ConfigException;
import java.nio.file.Path;

/** Rebuilds the tokenizer a checkpoint's ids belong to. */
public final class Tokenizers {

    private Tokenizers() {}

    /**
     * {@code base}, a checkpoint's tokenizer, when the config asks for its kind: a resume or fine-tune
     * keeps the checkpoint's ids, so another kind is refused, naming both.
     */
    public static Tokenizer requireKind(Tokenizer base, String configured) {
        if (!base.kind().equals(configured)) {
            throw new ConfigException("data.tokenizer = " + configured + " but the checkpoint's ids come from the "
                    + base.kind() + " tokenizer (" + base.vocabSize() + " tokens); set data.tokenizer = " + base.kind());
        }
        return base;
    }

    /** The Hugging Face tokenizer of {@code data.tokenizer_file}; a bad file is a config error naming the key. */
    public static HfTokenizer huggingFace(Path file) {
        return named("data.tokenizer_file", () -> HfTokenizer.load(file));
    }

    /** Runs a tokenizer load or build, turning its complaint (which names the file) into a config error. */
    public static <T> T named(String where, java.util.function.Supplier<T> load) {
        try {
            return load.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage().startsWith(where) ? e.getMessage() : where + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param kind the {@code data.tokenizer} the checkpoint recorded
     * @param vocabSize the vocabulary size it recorded, checked against the rebuilt tokenizer
     * @param fingerprint the fingerprint it recorded, checked likewise (a tokenizer that changed under the
     *     checkpoint would silently give other ids)
     * @param symbols a character tokenizer's code points (null for the others)
     * @param dir the checkpoint, where bpe and hf keep their {@link Tokenizer#FILE}
     */
    public static Tokenizer load(String kind, int vocabSize, String fingerprint, int[] symbols, Path dir) {
        Path file = dir.resolve(Tokenizer.FILE);
        Tokenizer tokenizer = switch (kind) {
            case CharTokenizer.KIND -> new CharTokenizer(symbols);
            case "gpt2" -> Gpt2Tokenizer.get();
            case "bpe" -> named(dir.toString(), () -> ByteLevelBpe.load(file));
            case "hf" -> named(dir.toString(), () -> HfTokenizer.load(file));
            default -> throw new ConfigException(dir + ": unknown tokenizer '" + kind + "'");
        };
        if (tokenizer.vocabSize() != vocabSize) {
            throw new ConfigException(dir + ": its " + kind + " tokenizer has " + tokenizer.vocabSize()
                    + " tokens, state.json records " + vocabSize);
        }
        if (!tokenizer.fingerprint().equals(fingerprint)) {
            throw new ConfigException(dir + ": its " + kind + " tokenizer has fingerprint " + tokenizer.fingerprint()
                    + ", state.json records " + fingerprint + (kind.equals("gpt2")
                    ? " (this tlab's GPT-2 ranks differ from those the checkpoint was trained with)" : ""));
        }
        return tokenizer;
    }
}
