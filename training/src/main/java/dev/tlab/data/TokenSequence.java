package dev.tlab.data;

/**
 * A split's tokens, held in memory or memory-mapped from prepared shards: what batches are cut from.
 * Positions are {@code long}, so a split may hold more than 2^31 tokens.
 */
public interface TokenSequence {

    long length();

    /** Copies tokens {@code [start, start + count)} into {@code out[offset ...]}. */
    void copy(long start, int[] out, int offset, int count);

    /** An in-memory sequence. */
    static TokenSequence of(int[] tokens) {
        return new TokenSequence() {
            @Override
            public long length() {
                return tokens.length;
            }

            @Override
            public void copy(long start, int[] out, int offset, int count) {
                System.arraycopy(tokens, Math.toIntExact(start), out, offset, count);
            }
        };
    }
}
