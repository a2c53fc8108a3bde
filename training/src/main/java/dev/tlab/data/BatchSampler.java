package dev.tlab.data;

import java.util.SplittableRandom;

/**
 * Random windows of a token sequence (in memory or memory-mapped shards). Batch {@code (step, micro)}
 * is a pure function of the seed, so there is no sampler state to checkpoint, and a resumed run sees
 * the batches it would have seen.
 */
public final class BatchSampler implements BatchSource {

    private final TokenSequence tokens;
    private final int batchSize;
    private final int context;
    private final long seed;

    public BatchSampler(int[] tokens, int batchSize, int context, long seed) {
        this(TokenSequence.of(tokens), batchSize, context, seed);
    }

    public BatchSampler(TokenSequence tokens, int batchSize, int context, long seed) {
        if (tokens.length() < context + 1) {
            throw new IllegalArgumentException(
                    "need at least " + (context + 1) + " tokens, got " + tokens.length());
        }
        this.tokens = tokens;
        this.batchSize = batchSize;
        this.context = context;
        this.seed = seed;
    }

    /** Inputs and next-token targets, row-major {@code [batchSize, context]}. */
    public record Batch(long[] inputs, long[] targets, int batchSize, int context) {}

    @Override
    public Batch sample(long step, int micro) {
        SplittableRandom random = new SplittableRandom(mix(seed, step, micro));
        long[] inputs = new long[batchSize * context];
        long[] targets = new long[batchSize * context];
        long starts = tokens.length() - context;
        int[] window = new int[context + 1];
        for (int row = 0; row < batchSize; row++) {
            tokens.copy(start(random, starts), window, 0, context + 1);
            for (int t = 0; t < context; t++) {
                inputs[row * context + t] = window[t];
                targets[row * context + t] = window[t + 1];
            }
        }
        return new Batch(inputs, targets, batchSize, context);
    }

    /**
     * A uniform start in {@code [0, starts)}. Below 2^31 it is the {@code nextInt} draw runs have
     * always made, so their batches stay bit-identical; only longer sequences need {@code nextLong}.
     */
    static long start(SplittableRandom random, long starts) {
        return starts <= Integer.MAX_VALUE ? random.nextInt((int) starts) : random.nextLong(starts);
    }

    /** A well-spread seed for batch (step, micro). */
    static long mix(long seed, long step, int micro) {
        long h = seed * 0x9E3779B97F4A7C15L + step;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + micro;
        return h ^ (h >>> 29);
    }
}
