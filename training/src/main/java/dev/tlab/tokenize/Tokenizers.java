package dev.tlab.tokenize;

import dev.tlab.config.ConfigException;
import java.nio.file.Path;

/** Rebuilds the tokenizer a checkpoint's ids belong to. */
public final class Tokenizers {

    private Tokenizers() {}

    /**
     * @param kind the {@code data.tokenizer} the checkpoint recorded
     * @param vocabSize the vocabulary size it recorded, checked against the rebuilt tokenizer
     * @param symbols a character tokenizer's code points (null for the others)
     * @param dir the checkpoint, where bpe and hf keep their {@link Tokenizer#FILE}
     */
    public static Tokenizer load(String kind, int vocabSize, int[] symbols, Path dir) {
        Tokenizer tokenizer = switch (kind) {
            case CharTokenizer.KIND -> new CharTokenizer(symbols);
            default -> throw new ConfigException(dir + ": unknown tokenizer '" + kind + "'");
        };
        if (tokenizer.vocabSize() != vocabSize) {
            throw new ConfigException(dir + ": its " + kind + " tokenizer has " + tokenizer.vocabSize()
                    + " tokens, state.json records " + vocabSize);
        }
        return tokenizer;
    }
}
