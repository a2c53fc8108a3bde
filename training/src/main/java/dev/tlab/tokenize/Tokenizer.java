package dev.tlab.tokenize;

import java.nio.file.Path;

/**
 * Text to token ids and back: {@code data.tokenizer} picks the kind. Implementations are immutable
 * and safe to share between threads ({@code tlab prepare} encodes on every core).
 */
public interface Tokenizer {

    /** The file a BPE tokenizer is saved as, in a checkpoint and beside prepared shards: Hugging Face's format. */
    String FILE = "tokenizer.json";

    /** The {@code data.tokenizer} value this tokenizer answers to: char, gpt2, bpe or hf. */
    String kind();

    int vocabSize();

    int[] encode(String text);

    /** The text of {@code ids}; bytes of an incomplete UTF-8 sequence decode as U+FFFD. */
    String decode(int[] ids);

    /** The id written between documents ({@code <|endoftext|>} for GPT-2), or -1 if this tokenizer has none. */
    int documentSeparator();

    /**
     * SHA-256 (hex) of everything that decides the ids: two tokenizers with the same fingerprint
     * encode every text alike. Prepared shards and checkpoints record it, so a changed tokenizer is
     * detected instead of silently mixing ids.
     */
    String fingerprint();

    /** The token a model expects before every text (added before a prompt when sampling), or -1 for none. */
    default int beginOfText() {
        return -1;
    }

    /** The tokens that end a generated text: sampling stops at any of them. Empty for none. */
    default int[] endOfText() {
        return new int[0];
    }

    /** Writes what {@link Tokenizers#load} needs to rebuild this tokenizer into {@code dir} (which exists). */
    void save(Path dir);
}
