package dev.tlab.data;

import dev.tlab.config.ConfigException;

/** One token per character; the vocabulary is the sorted set of characters in the corpus. */
public final class CharTokenizer {

    private final String vocab;
    private final int[] idOfChar;

    /** @param vocab every token's character, in id order, no repeats */
    public CharTokenizer(String vocab) {
        if (vocab.isEmpty()) {
            throw new ConfigException("tokenizer vocabulary is empty");
        }
        this.vocab = vocab;
        int maxChar = vocab.chars().max().orElse(0);
        idOfChar = new int[maxChar + 1];
        java.util.Arrays.fill(idOfChar, -1);
        for (int id = 0; id < vocab.length(); id++) {
            char c = vocab.charAt(id);
            if (idOfChar[c] >= 0) {
                throw new ConfigException("tokenizer vocabulary repeats the character " + printable(c));
            }
            idOfChar[c] = id;
        }
    }

    public static CharTokenizer fit(String text) {
        StringBuilder chars = new StringBuilder();
        text.chars().distinct().sorted().forEach(c -> chars.append((char) c));
        return new CharTokenizer(chars.toString());
    }

    /**
     * {@code base}'s characters with their ids unchanged, then the characters of {@code text}
     * that {@code base} lacks, sorted: how a fine-tune or resume keeps a checkpoint's ids.
     */
    public static CharTokenizer extend(String base, String text) {
        StringBuilder chars = new StringBuilder(base);
        text.chars().distinct().sorted().filter(c -> base.indexOf(c) < 0).forEach(c -> chars.append((char) c));
        return new CharTokenizer(chars.toString());
    }

    public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            char c = text.charAt(i);
            int id = c < idOfChar.length ? idOfChar[c] : -1;
            if (id < 0) {
                throw new ConfigException(
                        "character " + printable(c) + " at index " + i + " is not in the vocabulary");
            }
            ids[i] = id;
        }
        return ids;
    }

    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length);
        for (int id : ids) {
            text.append(vocab.charAt(id));
        }
        return text.toString();
    }

    public int vocabSize() {
        return vocab.length();
    }

    /** The characters in id order: all a checkpoint needs to rebuild this tokenizer. */
    public String vocab() {
        return vocab;
    }

    private static String printable(char c) {
        return Character.isISOControl(c) ? String.format("U+%04X", (int) c) : String.format("'%c' (U+%04X)", c, (int) c);
    }
}
