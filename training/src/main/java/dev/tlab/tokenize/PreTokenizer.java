package dev.tlab.tokenize;

/**
 * GPT-2's split of text into pieces that BPE merges never cross: contractions, letter runs and
 * digit runs (each with at most one leading space), punctuation runs, and whitespace, where a run of
 * spaces before a word leaves its last space to the word. Every character lands in exactly one piece,
 * so the pieces concatenate back to the text.
 *
 * <p>The split is {@link #GPT2_PATTERN}'s matches, found by a hand-written scan: the same pieces
 * (the tests compare them on random text) at several times the speed of {@code java.util.regex}.
 */
final class PreTokenizer {

    /**
     * The pattern of GPT-2 and of Hugging Face's ByteLevel pre-tokenizer with {@code use_regex},
     * where {@code \s} is Unicode's White_Space (Java: {@code UNICODE_CHARACTER_CLASS}).
     */
    static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final byte LETTER = 0;
    private static final byte NUMBER = 1;
    private static final byte SPACE = 2;
    private static final byte OTHER = 3;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII_CLASS[c] = classify(c);
        }
    }

    private PreTokenizer() {}

    /** Receives the pieces of a text in order, as {@code [start, end)} in the text. */
    interface Pieces {
        void piece(int start, int end);
    }

    /** The pieces of {@code text[from, to)}, treating {@code to} as the end of the text. */
    static void split(String text, int from, int to, Pieces pieces) {
        for (int start = from; start < to; ) {
            int end = pieceEnd(text, start, to);
            pieces.piece(start, end);
            start = end;
        }
    }

    /** Where the piece starting at {@code i} ends: the first of the pattern's alternatives that matches. */
    private static int pieceEnd(String text, int i, int to) {
        char c = text.charAt(i);
        if (c == '\'' && i + 1 < to) {
            char next = text.charAt(i + 1);
            if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                return i + 2;
            }
            if (i + 2 < to) {
                char after = text.charAt(i + 2);
                if ((next == 'r' || next == 'v') && after == 'e' || next == 'l' && after == 'l') {
                    return i + 3;
                }
            }
        }
        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": one optional plain space, then a run of one class.
        if (c == ' ' && i + 1 < to) {
            byte following = classAt(text, i + 1, to);
            if (following != SPACE) {
                return runEnd(text, i + 1, to, following);
            }
        }
        byte kind = classAt(text, i, to);
        if (kind != SPACE) {
            return runEnd(text, i, to, kind);
        }
        // "\s+(?!\S)": the run, less its last character when a non-space follows; else "\s+".
        int end = runEnd(text, i, to, SPACE);
        return end < to && end - 1 > i ? end - 1 : end;
    }

    private static int runEnd(String text, int i, int to, byte kind) {
        while (i < to) {
            char c = text.charAt(i);
            if (c < 128) {
                if (ASCII_CLASS[c] != kind) {
                    return i;
                }
                i++;
            } else {
                int codePoint = codePointAt(text, i, to);
                if (classify(codePoint) != kind) {
                    return i;
                }
                i += Character.charCount(codePoint);
            }
        }
        return i;
    }

    private static byte classAt(String text, int i, int to) {
        char c = text.charAt(i);
        return c < 128 ? ASCII_CLASS[c] : classify(codePointAt(text, i, to));
    }

    /** The code point at {@code i}, not reading past {@code to}; an unpaired surrogate stands alone. */
    private static int codePointAt(String text, int i, int to) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
            return Character.toCodePoint(c, text.charAt(i + 1));
        }
        return c;
    }

    /** {@code \p{L}}, {@code \p{N}}, {@code \s} (Unicode White_Space, as java.util.regex defines it) or other. */
    private static byte classify(int codePoint) {
        switch (Character.getType(codePoint)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER:
                return LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
                return NUMBER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR:
                return SPACE;
            default:
                return (codePoint >= 0x09 && codePoint <= 0x0D) || codePoint == 0x85 ? SPACE : OTHER;
        }
    }
}
