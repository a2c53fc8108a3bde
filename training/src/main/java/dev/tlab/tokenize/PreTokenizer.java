package dev.tlab.tokenize;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's split of text into pieces that BPE merges never cross: contractions, letter runs and
 * digit runs (each with at most one leading space), punctuation runs, and whitespace, where a run of
 * spaces before a word leaves its last space to the word. Every character lands in exactly one piece,
 * so the pieces concatenate back to the text.
 */
final class PreTokenizer {

    /** The pattern of GPT-2 and of Hugging Face's ByteLevel pre-tokenizer with {@code use_regex}. */
    static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    // UNICODE_CHARACTER_CLASS: \s is Unicode White_Space (as in Rust's regex engines), not just ASCII.
    private static final Pattern PATTERN = Pattern.compile(GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

    private PreTokenizer() {}

    /** Receives the pieces of a text in order, as {@code [start, end)} in the text. */
    interface Pieces {
        void piece(int start, int end);
    }

    /** The pieces of {@code text[from, to)}, treating {@code to} as the end of the text. */
    static void split(String text, int from, int to, Pieces pieces) {
        Matcher matcher = PATTERN.matcher(text).region(from, to);
        while (matcher.find()) {
            pieces.piece(matcher.start(), matcher.end());
        }
    }
}
