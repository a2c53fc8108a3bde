package dev.tlab.data;

import java.util.SplittableRandom;

/**
 * BERT-style masked-LM batches from corpus windows: each position is chosen with probability
 * {@code fraction}; a chosen position shows the mask token 80% of the time, a random token 10% and
 * itself 10%, and only chosen positions carry loss. A pure function of (seed, step, micro).
 */
public final class MaskedWindows {

    private final TokenSequence tokens;
    private final int batchSize;
    private final int context;
    private final int vocabSize;
    private final int maskId;
    private final double fraction;
    private final long seed;

    /** Inputs, the original tokens as targets, and 1 where a position carries loss. */
    public record Batch(long[] inputs, long[] targets, float[] weights, int batchSize, int context) {}

    /** Windows of an in-memory corpus. */
    public MaskedWindows(int[] tokens, int batchSize, int context, int vocabSize, int maskId, double fraction, long seed) {
        this(TokenSequence.of(tokens), batchSize, context, vocabSize, maskId, fraction, seed);
    }

    /** @param maskId the mask token, outside the {@code vocabSize} corpus symbols */
    public MaskedWindows(TokenSequence tokens, int batchSize, int context, int vocabSize, int maskId, double fraction,
            long seed) {
        if (tokens.length() < context) {
            throw new IllegalArgumentException("need at least " + context + " tokens, got " + tokens.length());
        }
        this.tokens = tokens;
        this.batchSize = batchSize;
        this.context = context;
        this.vocabSize = vocabSize;
        this.maskId = maskId;
        this.fraction = fraction;
        this.seed = seed;
    }

    public Batch sample(long step, int micro) {
        SplittableRandom random = new SplittableRandom(BatchSampler.mix(seed, step, micro));
        int n = batchSize * context;
        long[] inputs = new long[n];
        long[] targets = new long[n];
        float[] weights = new float[n];
        int[] window = new int[context];
        for (int row = 0; row < batchSize; row++) {
            tokens.copy(BatchSampler.start(random, tokens.length() - context + 1), window, 0, context);
            int chosen = 0;
            for (int t = 0; t < context; t++) {
                int i = row * context + t;
                targets[i] = window[t];
                inputs[i] = targets[i];
                // Every window carries loss somewhere, so no batch averages over zero positions.
                boolean pick = random.nextDouble() < fraction || (t == context - 1 && chosen == 0);
                if (pick) {
                    chosen++;
                    weights[i] = 1;
                    double r = random.nextDouble();
                    inputs[i] = r < 0.8 ? maskId : r < 0.9 ? random.nextInt(vocabSize) : targets[i];
                }
            }
        }
        return new Batch(inputs, targets, weights, batchSize, context);
    }
}
