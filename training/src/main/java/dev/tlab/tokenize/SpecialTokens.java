package dev.tlab.tokenize;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Special tokens such as {@code <|endoftext|>}: found in the text before pre-tokenization and given
 * their own id, as Hugging Face's added tokens are (leftmost match first, the longest on a tie).
 */
final class SpecialTokens {

    /** Receives a text in order: stretches of ordinary text and the special tokens between them. */
    interface Sink {
        void text(int from, int to);

        void special(int id);
    }

    private final String[] contents;
    private final int[] ids;

    /** @param idOfContent each special token's text and id, in a fixed order */
    SpecialTokens(Map<String, Integer> idOfContent) {
        contents = new String[idOfContent.size()];
        ids = new int[idOfContent.size()];
        int i = 0;
        for (Map.Entry<String, Integer> special : idOfContent.entrySet()) {
            if (special.getKey().isEmpty()) {
                throw new IllegalArgumentException("a special token is empty");
            }
            contents[i] = special.getKey();
            ids[i++] = special.getValue();
        }
    }

    /** The id of the special token {@code content}, or -1. */
    int idOf(String content) {
        for (int i = 0; i < contents.length; i++) {
            if (contents[i].equals(content)) {
                return ids[i];
            }
        }
        return -1;
    }

    /** Each special token's text and id, in their order. */
    Map<String, Integer> asMap() {
        Map<String, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < contents.length; i++) {
            map.put(contents[i], ids[i]);
        }
        return map;
    }

    void split(String text, Sink sink) {
        int position = 0;
        // Where each special next occurs at or after position: -1 never again, -2 not looked yet.
        int[] next = new int[contents.length];
        java.util.Arrays.fill(next, -2);
        while (true) {
            int best = -1;
            for (int i = 0; i < contents.length; i++) {
                if (next[i] != -1 && next[i] < position) {
                    next[i] = text.indexOf(contents[i], position);
                }
                if (next[i] >= 0 && (best < 0 || next[i] < next[best]
                        || (next[i] == next[best] && contents[i].length() > contents[best].length()))) {
                    best = i;
                }
            }
            if (best < 0) {
                if (position < text.length()) {
                    sink.text(position, text.length());
                }
                return;
            }
            if (next[best] > position) {
                sink.text(position, next[best]);
            }
            sink.special(ids[best]);
            position = next[best] + contents[best].length();
        }
    }
}
