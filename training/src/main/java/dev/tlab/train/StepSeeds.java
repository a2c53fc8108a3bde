package dev.tlab.train;

/**
 * The seed of the native generator (dropout masks) for each training step. The trainer reseeds at
 * the start of every step, so step {@code s} draws the same masks whether the run got there
 * without stopping or was resumed from a checkpoint: no generator state needs saving.
 */
public final class StepSeeds {

    /** Recorded in {@code state.json} for readers of a checkpoint. */
    public static final String DESCRIPTION =
            "the native generator is reseeded with StepSeeds.of(seed, step) before every step; batches are a function of (seed, step, micro)";

    private StepSeeds() {}

    /** A well-spread 32-bit seed for step {@code step} of a run seeded {@code seed}. */
    public static int of(long seed, long step) {
        long h = (seed ^ 0x5DEECE66DL) * 0x9E3779B97F4A7C15L + step;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (int) (h ^ (h >>> 32));
    }
}
