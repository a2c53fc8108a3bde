package dev.tlab.tokenize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE as GPT-2 does it ({@code data.tokenizer: bpe}): special tokens are cut out of the
 * text first, the rest is split into pieces by GPT-2's pattern, and each piece's UTF-8 bytes start
 * as one token per byte and are merged pair by pair, always the lowest-ranked pair present, the
 * leftmost on a tie (what Hugging Face's BPE and tiktoken do). Every byte has a token, so any text
 * encodes and decodes back unchanged (an unpaired surrogate, which is not text, becomes '?').
 * Trained by {@link BpeTrainer}; saved and loaded as a Hugging Face {@code tokenizer.json}.
 */
public final class ByteLevelBpe implements Tokenizer {

    /** The document separator's text; {@link BpeTrainer} always adds it. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    // Pieces longer than this merge through a heap (n log n) instead of rescanning (n squared).
    static final int LONG_PIECE = 128;
    private static final int CACHED_PIECE_CHARS = 32;
    private static final int CACHE_ENTRIES = 1 << 16;

    private final byte[][] bytesOfId;
    private final boolean[] isSpecial;
    private final int[] idOfByte = new int[256];
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final int[] mergeResult;
    private final PairTable rankOfPair;
    private final SpecialTokens specials;
    private final String fingerprint;
    // Ids of recently seen short pieces; cleared when full, which keeps it bounded and lock-free.
    private final Map<String, int[]> pieceCache = new ConcurrentHashMap<>();

    /**
     * @param tokens each regular token's bytes by id; null at the ids of special tokens
     * @param merges the merges in rank order, each {left id, right id}; the result is the token
     *     whose bytes are the left's followed by the right's
     * @param specials each special token's text and id
     * @throws IllegalArgumentException if the ids are not exactly 0 to tokens.length - 1, a byte has
     *     no token, two tokens have the same bytes, or a merge's parts or result are not tokens
     */
    ByteLevelBpe(byte[][] tokens, int[][] merges, Map<String, Integer> specials) {
        int vocabSize = tokens.length;
        bytesOfId = new byte[vocabSize][];
        isSpecial = new boolean[vocabSize];
        for (Map.Entry<String, Integer> special : specials.entrySet()) {
            int id = special.getValue();
            if (id < 0 || id >= vocabSize || tokens[id] != null || isSpecial[id]) {
                throw new IllegalArgumentException("special token " + special.getKey() + " has id " + id
                        + ", which is outside 0.." + (vocabSize - 1) + " or already taken");
            }
            isSpecial[id] = true;
            bytesOfId[id] = special.getKey().getBytes(StandardCharsets.UTF_8);
        }
        this.specials = new SpecialTokens(specials);

        Map<String, Integer> idOfToken = new HashMap<>(2 * vocabSize);
        Arrays.fill(idOfByte, -1);
        for (int id = 0; id < vocabSize; id++) {
            if (isSpecial[id]) {
                continue;
            }
            if (tokens[id] == null || tokens[id].length == 0) {
                throw new IllegalArgumentException("no token has id " + id + " (ids must run 0.." + (vocabSize - 1) + ")");
            }
            bytesOfId[id] = tokens[id].clone();
            Integer before = idOfToken.put(ByteLevelAlphabet.encode(tokens[id]), id);
            if (before != null) {
                throw new IllegalArgumentException("ids " + before + " and " + id + " are the same token "
                        + ByteLevelAlphabet.encode(tokens[id]));
            }
            if (tokens[id].length == 1) {
                idOfByte[tokens[id][0] & 0xFF] = id;
            }
        }
        for (Map.Entry<String, Integer> special : specials.entrySet()) {
            // tokenizer.json keeps both in one vocabulary object, keyed by text.
            Integer regular = idOfToken.get(special.getKey());
            if (regular != null) {
                throw new IllegalArgumentException("special token " + special.getKey() + " is also the text of token id " + regular);
            }
        }
        for (int b = 0; b < 256; b++) {
            if (idOfByte[b] < 0) {
                throw new IllegalArgumentException(String.format("no token for the byte 0x%02X: a byte-level BPE needs all 256", b));
            }
        }

        mergeLeft = new int[merges.length];
        mergeRight = new int[merges.length];
        mergeResult = new int[merges.length];
        rankOfPair = new PairTable(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            int left = merges[rank][0];
            int right = merges[rank][1];
            if (!isRegular(left) || !isRegular(right)) {
                throw new IllegalArgumentException("merge " + rank + " joins ids " + left + " and " + right
                        + ", which are not both regular tokens");
            }
            Integer result = idOfToken.get(ByteLevelAlphabet.encode(bytesOfId[left]) + ByteLevelAlphabet.encode(bytesOfId[right]));
            if (result == null) {
                throw new IllegalArgumentException("merge " + rank + " (" + ByteLevelAlphabet.encode(bytesOfId[left]) + " "
                        + ByteLevelAlphabet.encode(bytesOfId[right]) + ") makes a token that is not in the vocabulary");
            }
            if (!rankOfPair.putIfAbsent(left, right, rank)) {
                throw new IllegalArgumentException("merge " + rank + " (" + ByteLevelAlphabet.encode(bytesOfId[left]) + " "
                        + ByteLevelAlphabet.encode(bytesOfId[right]) + ") repeats an earlier merge");
            }
            mergeLeft[rank] = left;
            mergeRight[rank] = right;
            mergeResult[rank] = result;
        }
        fingerprint = computeFingerprint();
    }

    /** Reads a byte-level BPE {@code tokenizer.json}: as {@link #save} writes it, or as Hugging Face writes one. */
    public static ByteLevelBpe load(Path file) {
        return TokenizerJson.read(file);
    }

    @Override
    public String kind() {
        return "bpe";
    }

    @Override
    public int vocabSize() {
        return bytesOfId.length;
    }

    @Override
    public int documentSeparator() {
        return specials.idOf(END_OF_TEXT);
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Writes {@code dir/tokenizer.json}. */
    @Override
    public void save(Path dir) {
        try {
            TokenizerJson.write(this, dir.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        IdList ids = new IdList(Math.max(16, text.length() / 3));
        specials.split(text, new SpecialTokens.Sink() {
            @Override
            public void text(int from, int to) {
                PreTokenizer.split(text, from, to, (start, end) -> ids.addAll(pieceIds(text.substring(start, end))));
            }

            @Override
            public void special(int id) {
                ids.add(id);
            }
        });
        return ids.toArray();
    }

    @Override
    public String decode(int[] ids) {
        int length = 0;
        for (int id : ids) {
            if (id < 0 || id >= bytesOfId.length) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary 0.." + (bytesOfId.length - 1));
            }
            length += bytesOfId[id].length;
        }
        byte[] bytes = new byte[length];
        int at = 0;
        for (int id : ids) {
            System.arraycopy(bytesOfId[id], 0, bytes, at, bytesOfId[id].length);
            at += bytesOfId[id].length;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The token ids of one piece of pre-tokenized text. The array is shared: callers must not change it. */
    private int[] pieceIds(String piece) {
        boolean cacheable = piece.length() <= CACHED_PIECE_CHARS;
        if (cacheable) {
            int[] cached = pieceCache.get(piece);
            if (cached != null) {
                return cached;
            }
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] ids = bytes.length > LONG_PIECE ? mergeByHeap(bytes) : mergeByScan(bytes);
        if (cacheable) {
            if (pieceCache.size() >= CACHE_ENTRIES) {
                pieceCache.clear();
            }
            pieceCache.put(piece, ids);
        }
        return ids;
    }

    /** Merges a short piece: find the lowest-ranked adjacent pair, merge it, repeat. */
    int[] mergeByScan(byte[] bytes) {
        int length = bytes.length;
        int[] symbols = new int[length];
        for (int i = 0; i < length; i++) {
            symbols[i] = idOfByte[bytes[i] & 0xFF];
        }
        if (length < 2) {
            return symbols;
        }
        // rank[i]: rank of the pair (symbols[i], symbols[i + 1]), MAX_VALUE if no merge joins them.
        int[] rank = new int[length - 1];
        for (int i = 0; i < length - 1; i++) {
            rank[i] = rankOf(symbols[i], symbols[i + 1]);
        }
        while (length > 1) {
            int at = 0;
            for (int i = 1; i < length - 1; i++) {
                if (rank[i] < rank[at]) {
                    at = i;
                }
            }
            if (rank[at] == Integer.MAX_VALUE) {
                break;
            }
            symbols[at] = mergeResult[rank[at]];
            System.arraycopy(symbols, at + 2, symbols, at + 1, length - at - 2);
            if (at + 2 < length - 1) {
                System.arraycopy(rank, at + 2, rank, at + 1, length - at - 3);
            }
            length--;
            if (at < length - 1) {
                rank[at] = rankOf(symbols[at], symbols[at + 1]);
            }
            if (at > 0) {
                rank[at - 1] = rankOf(symbols[at - 1], symbols[at]);
            }
        }
        return Arrays.copyOf(symbols, length);
    }

    /**
     * Merges a long piece with the same result as {@link #mergeByScan}: a linked list of symbols and
     * a heap of candidate pairs ordered by rank, then position (so the leftmost wins a tie). Entries
     * whose pair has since changed are skipped when popped.
     */
    int[] mergeByHeap(byte[] bytes) {
        int length = bytes.length;
        int[] symbols = new int[length];
        int[] next = new int[length];
        int[] previous = new int[length];
        for (int i = 0; i < length; i++) {
            symbols[i] = idOfByte[bytes[i] & 0xFF];
            next[i] = i + 1 < length ? i + 1 : -1;
            previous[i] = i - 1;
        }
        PriorityQueue<Long> candidates = new PriorityQueue<>();
        for (int i = 0; i + 1 < length; i++) {
            offer(candidates, symbols[i], symbols[i + 1], i);
        }
        int remaining = length;
        while (!candidates.isEmpty()) {
            long candidate = candidates.poll();
            int rank = (int) (candidate >>> 32);
            int at = (int) candidate;
            // Removed symbols have symbols[at] = -1; a changed pair has a different rank.
            if (symbols[at] < 0 || next[at] < 0 || rankOf(symbols[at], symbols[next[at]]) != rank) {
                continue;
            }
            int removed = next[at];
            symbols[at] = mergeResult[rank];
            symbols[removed] = -1;
            next[at] = next[removed];
            if (next[at] >= 0) {
                previous[next[at]] = at;
                offer(candidates, symbols[at], symbols[next[at]], at);
            }
            if (previous[at] >= 0) {
                offer(candidates, symbols[previous[at]], symbols[at], previous[at]);
            }
            remaining--;
        }
        int[] ids = new int[remaining];
        for (int i = 0, out = 0; i >= 0; i = next[i]) {
            ids[out++] = symbols[i];
        }
        return ids;
    }

    private void offer(PriorityQueue<Long> candidates, int left, int right, int position) {
        int rank = rankOf(left, right);
        if (rank != Integer.MAX_VALUE) {
            candidates.add(((long) rank << 32) | position);
        }
    }

    private int rankOf(int left, int right) {
        int rank = rankOfPair.get(left, right);
        return rank < 0 ? Integer.MAX_VALUE : rank;
    }

    private boolean isRegular(int id) {
        return id >= 0 && id < bytesOfId.length && !isSpecial[id];
    }

    private String computeFingerprint() {
        Fingerprint hash = new Fingerprint().add("tlab byte-level BPE").add(PreTokenizer.GPT2_PATTERN);
        hash.add(bytesOfId.length);
        for (int id = 0; id < bytesOfId.length; id++) {
            hash.add(isSpecial[id] ? 1 : 0).add(bytesOfId[id]);
        }
        hash.add(mergeLeft.length);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            hash.add(mergeLeft[rank]).add(mergeRight[rank]);
        }
        return hash.hex();
    }

    /** Each id's bytes (a special token's are its UTF-8 text). */
    byte[] bytesOf(int id) {
        return bytesOfId[id];
    }

    boolean isSpecial(int id) {
        return isSpecial[id];
    }

    /** The merges in rank order, each {left id, right id}. */
    List<int[]> merges() {
        List<int[]> merges = new ArrayList<>(mergeLeft.length);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            merges.add(new int[] {mergeLeft[rank], mergeRight[rank]});
        }
        return merges;
    }

    /** The special tokens' texts and ids, in their order. */
    Map<String, Integer> specialTokens() {
        return specials.asMap();
    }

    /** A growing int array, so encoding does not box every id. */
    private static final class IdList {
        private int[] ids;
        private int size;

        IdList(int capacity) {
            ids = new int[capacity];
        }

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, 2 * size);
            }
            ids[size++] = id;
        }

        void addAll(int[] more) {
            if (size + more.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(2 * ids.length, size + more.length));
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }
}
