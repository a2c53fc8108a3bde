package dev.tlab.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Pattern;

/**
 * Learns a {@link ByteLevelBpe} from text. Text arrives in chunks through {@link #add}; only the
 * count of each distinct pre-tokenized piece ("word") is kept, so memory grows with the number of
 * distinct words, not with the text. {@link #train} then starts from the 256 byte tokens and
 * repeatedly merges the most frequent adjacent pair, counted over the words weighted by their
 * counts, until the vocabulary (tokens + special tokens) reaches {@code data.vocab_size}.
 *
 * <p>Pair counts are kept up to date as merges happen, from an index of which words hold each pair;
 * the text is never scanned again. Ties go to the pair whose left token's bytes are smallest
 * (unsigned, lexicographic), then whose right token's bytes are, so training is deterministic.
 *
 * <p>As Hugging Face's trainer does, a merge whose bytes equal an existing token's (reached by
 * another split of the same bytes) reuses that token's id instead of adding one.
 */
public final class BpeTrainer {

    private static final Pattern SPECIAL_FORM = Pattern.compile("<\\|[A-Za-z0-9_]*[A-Za-z0-9][A-Za-z0-9_]*\\|>");

    private final int vocabSize;
    private final List<String> specials = new ArrayList<>();
    private final SpecialTokens specialSplitter;
    private final Map<String, long[]> wordCounts = new HashMap<>();
    // The end of the text so far, held back because the next chunk may still change how it splits.
    private String pending = "";

    /**
     * @param vocabSize the vocabulary size to reach, {@code data.vocab_size}: 256 byte tokens, the
     *     learned merges and the special tokens
     * @param extraSpecialTokens special tokens after {@code <|endoftext|>} (which is always first,
     *     the document separator), each of the form {@code <|name|>}; they take the last ids
     */
    public BpeTrainer(int vocabSize, String... extraSpecialTokens) {
        specials.add(ByteLevelBpe.END_OF_TEXT);
        for (String special : extraSpecialTokens) {
            // The form keeps a special token from ever being the text of a learned token.
            if (!SPECIAL_FORM.matcher(special).matches()) {
                throw new IllegalArgumentException("special token " + special
                        + " must look like <|name|>, the name of letters, digits and underscores");
            }
            if (specials.contains(special)) {
                throw new IllegalArgumentException("special token " + special + " is given twice");
            }
            specials.add(special);
        }
        int minimum = 256 + specials.size();
        if (vocabSize < minimum) {
            throw new IllegalArgumentException("data.vocab_size " + vocabSize + " is too small for a byte-level BPE:"
                    + " the minimum is " + minimum + " (256 byte tokens + " + specials.size() + " special token"
                    + (specials.size() == 1 ? "" : "s") + ")");
        }
        this.vocabSize = vocabSize;
        Map<String, Integer> indexOf = new LinkedHashMap<>();
        for (String special : specials) {
            indexOf.put(special, indexOf.size());
        }
        specialSplitter = new SpecialTokens(indexOf);
    }

    /**
     * Counts the words of the next chunk of text. Chunks join as if concatenated: the last few
     * pieces of a chunk (and any start of a special token at its end) wait for the next chunk.
     * Special tokens in the text are not counted as words.
     */
    public void add(String chunk) {
        String text = pending.isEmpty() ? chunk : pending + chunk;
        int[] lastStretch = {-1};
        specialSplitter.split(text, new SpecialTokens.Sink() {
            @Override
            public void text(int from, int to) {
                if (to == text.length()) {
                    lastStretch[0] = from;
                } else {
                    countWords(text, from, to);
                }
            }

            @Override
            public void special(int id) {}
        });
        if (lastStretch[0] < 0) {
            pending = "";
            return;
        }
        // Held back: the piece where a special token may begin at the end (or the last piece), and
        // the two before it, whose split can change once the next chunk shows what follows them.
        // The starts of the latest three pieces are kept; a piece pushed out of them is final.
        int partialSpecial = text.length() - partialSpecialLength(text, lastStretch[0]);
        int[] latest = new int[3];
        int[] seen = {0};
        PreTokenizer.split(text, lastStretch[0], text.length(), (start, end) -> {
            if (start <= partialSpecial) {
                int slot = seen[0] % 3;
                if (seen[0] >= 3) {
                    count(text.substring(latest[slot], latest[(slot + 1) % 3]));
                }
                latest[slot] = start;
                seen[0]++;
            }
        });
        int hold = seen[0] >= 3 ? latest[seen[0] % 3] : lastStretch[0];
        pending = text.substring(hold);
    }

    /**
     * Learns the merges from the text added so far (which counts as complete: what {@link #add}
     * held back is counted now).
     *
     * @throws IllegalArgumentException if the text runs out of pairs to merge before the vocabulary
     *     reaches {@code data.vocab_size}
     */
    public ByteLevelBpe train() {
        String rest = pending;
        pending = "";
        specialSplitter.split(rest, new SpecialTokens.Sink() {
            @Override
            public void text(int from, int to) {
                countWords(rest, from, to);
            }

            @Override
            public void special(int id) {}
        });
        return new Merging().run();
    }

    private void countWords(String text, int from, int to) {
        PreTokenizer.split(text, from, to, (start, end) -> count(text.substring(start, end)));
    }

    private void count(String word) {
        wordCounts.computeIfAbsent(word, w -> new long[1])[0]++;
    }

    /** The length of the longest end of {@code text[from..]} that a special token starts with. */
    private int partialSpecialLength(String text, int from) {
        int longest = 0;
        for (String special : specials) {
            for (int length = Math.min(special.length() - 1, text.length() - from); length > longest; length--) {
                if (text.startsWith(special.substring(0, length), text.length() - length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }

    /** One training run: the words as token ids, the pair counts and index, and the merges so far. */
    private final class Merging {
        private final int[][] words;
        private final int[] lengths;
        private final long[] counts;
        private final Map<Long, Pair> pairs = new HashMap<>();
        private final List<byte[]> tokens = new ArrayList<>();
        private final Map<String, Integer> idOfToken = new HashMap<>();
        private final List<int[]> merges = new ArrayList<>();
        private final PriorityQueue<Candidate> queue = new PriorityQueue<>(this::compare);

        Merging() {
            for (int b = 0; b < 256; b++) {
                addToken(new byte[] {(byte) b});
            }
            words = new int[wordCounts.size()][];
            lengths = new int[words.length];
            counts = new long[words.length];
            int w = 0;
            for (Map.Entry<String, long[]> entry : wordCounts.entrySet()) {
                byte[] bytes = entry.getKey().getBytes(StandardCharsets.UTF_8);
                words[w] = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) {
                    words[w][i] = bytes[i] & 0xFF;
                }
                lengths[w] = bytes.length;
                counts[w] = entry.getValue()[0];
                for (int i = 0; i + 1 < bytes.length; i++) {
                    Pair pair = pair(words[w][i], words[w][i + 1]);
                    pair.count += counts[w];
                    pair.addWord(w);
                }
                w++;
            }
            for (Pair pair : pairs.values()) {
                queue.add(new Candidate(pair, pair.count));
            }
        }

        ByteLevelBpe run() {
            int regularTokens = vocabSize - specials.size();
            while (tokens.size() < regularTokens) {
                Candidate top = queue.poll();
                if (top == null) {
                    throw new IllegalArgumentException("the training text has too few distinct byte pairs for data.vocab_size "
                            + vocabSize + ": it allows at most " + (tokens.size() + specials.size())
                            + "; give more text or a smaller data.vocab_size");
                }
                Pair pair = top.pair;
                // Counts move after a candidate is queued: a stale one goes back with the current count.
                if (top.count != pair.count) {
                    if (pair.count > 0) {
                        queue.add(new Candidate(pair, pair.count));
                    }
                    continue;
                }
                if (pair.result < 0) {
                    byte[] left = tokens.get(pair.left);
                    byte[] right = tokens.get(pair.right);
                    byte[] joined = Arrays.copyOf(left, left.length + right.length);
                    System.arraycopy(right, 0, joined, left.length, right.length);
                    Integer existing = idOfToken.get(new String(joined, StandardCharsets.ISO_8859_1));
                    pair.result = existing != null ? existing : addToken(joined);
                    merges.add(new int[] {pair.left, pair.right});
                }
                // else: a pair merged before has reappeared next to a reused token; merge it again, as encoding would.
                merge(pair);
            }
            byte[][] vocabulary = new byte[vocabSize][];
            for (int id = 0; id < tokens.size(); id++) {
                vocabulary[id] = tokens.get(id);
            }
            Map<String, Integer> specialIds = new LinkedHashMap<>();
            for (String special : specials) {
                specialIds.put(special, tokens.size() + specialIds.size());
            }
            return new ByteLevelBpe(vocabulary, merges.toArray(new int[0][]), specialIds);
        }

        /** Replaces the pair by its result in every word that holds it, moving the neighbouring pairs' counts. */
        private void merge(Pair merged) {
            int[] holders = merged.words;
            int holderCount = merged.wordCount;
            merged.words = new int[0];
            merged.wordCount = 0;
            List<Pair> grown = new ArrayList<>();
            for (int i = 0; i < holderCount; i++) {
                mergeInWord(holders[i], merged, grown);
            }
            merged.count = 0;
            for (Pair pair : grown) {
                pair.grown = false;
                if (pair.count > 0) {
                    queue.add(new Candidate(pair, pair.count));
                }
            }
        }

        private void mergeInWord(int w, Pair merged, List<Pair> grown) {
            int[] symbols = words[w];
            int length = lengths[w];
            long count = counts[w];
            int a = merged.left;
            int b = merged.right;
            int written = 0;
            for (int read = 0; read < length; ) {
                if (read + 1 < length && symbols[read] == a && symbols[read + 1] == b) {
                    if (written > 0) {
                        change(symbols[written - 1], a, -count, w, grown);
                        change(symbols[written - 1], merged.result, count, w, grown);
                    }
                    if (read + 2 < length) {
                        change(b, symbols[read + 2], -count, w, grown);
                        change(merged.result, symbols[read + 2], count, w, grown);
                    }
                    symbols[written++] = merged.result;
                    read += 2;
                } else {
                    symbols[written++] = symbols[read++];
                }
            }
            lengths[w] = written;
        }

        private void change(int left, int right, long delta, int w, List<Pair> grown) {
            Pair pair = pair(left, right);
            pair.count += delta;
            if (delta > 0) {
                pair.addWord(w);
                if (!pair.grown) {
                    pair.grown = true;
                    grown.add(pair);
                }
            }
        }

        private Pair pair(int left, int right) {
            return pairs.computeIfAbsent(PairTable.key(left, right), key -> new Pair(left, right));
        }

        private int addToken(byte[] bytes) {
            idOfToken.put(new String(bytes, StandardCharsets.ISO_8859_1), tokens.size());
            tokens.add(bytes);
            return tokens.size() - 1;
        }

        /** Most frequent first; on a tie, the smaller left token bytes, then the smaller right token bytes. */
        private int compare(Candidate x, Candidate y) {
            if (x.count != y.count) {
                return Long.compare(y.count, x.count);
            }
            int byLeft = Arrays.compareUnsigned(tokens.get(x.pair.left), tokens.get(y.pair.left));
            return byLeft != 0 ? byLeft : Arrays.compareUnsigned(tokens.get(x.pair.right), tokens.get(y.pair.right));
        }
    }

    /** An adjacent pair of token ids: its weighted count and the words that hold it (a superset, may repeat). */
    private static final class Pair {
        final int left;
        final int right;
        long count;
        int[] words = new int[2];
        int wordCount;
        int result = -1;
        boolean grown;

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }

        void addWord(int w) {
            if (wordCount > 0 && words[wordCount - 1] == w) {
                return;
            }
            if (wordCount == words.length) {
                words = Arrays.copyOf(words, Math.max(2, 2 * wordCount));
            }
            words[wordCount++] = w;
        }
    }

    /** A pair in the queue with its count when queued. */
    private record Candidate(Pair pair, long count) {}
}
