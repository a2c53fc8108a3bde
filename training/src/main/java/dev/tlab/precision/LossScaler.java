package dev.tlab.precision;

/**
 * Dynamic loss scaling for float16 training, with torch's {@code GradScaler} defaults: the loss is
 * multiplied by {@link #scale()} before backward so small gradients survive float16; a step whose
 * gradients overflowed is skipped and the scale halves; after {@code growthInterval} good steps in a
 * row it doubles.
 */
public final class LossScaler {

    public static final double INITIAL_SCALE = 65536;
    public static final int GROWTH_INTERVAL = 2000;
    private static final double MIN_SCALE = 1.0 / (1 << 24);

    private final int growthInterval;
    private double scale;
    private int goodSteps;
    private long skipped;

    public LossScaler(double initialScale, int growthInterval) {
        if (!(initialScale > 0) || growthInterval < 1) {
            throw new IllegalArgumentException("loss scale must be > 0 and growth interval >= 1");
        }
        this.scale = initialScale;
        this.growthInterval = growthInterval;
    }

    public LossScaler() {
        this(INITIAL_SCALE, GROWTH_INTERVAL);
    }

    public double scale() {
        return scale;
    }

    /** Steps skipped so far because of overflow. */
    public long skipped() {
        return skipped;
    }

    /** Good steps since the last change of scale, for checkpoints. */
    public int goodSteps() {
        return goodSteps;
    }

    /** Restores the state a checkpoint saved. */
    public void restore(double savedScale, int savedGoodSteps) {
        scale = savedScale;
        goodSteps = savedGoodSteps;
    }

    /**
     * Records one step's outcome.
     *
     * @param unscaledGradNorm the gradients' global norm divided by {@link #scale()}
     * @return whether the step may be applied (false: overflow, skip it)
     */
    public boolean update(double unscaledGradNorm) {
        if (!Double.isFinite(unscaledGradNorm)) {
            scale = Math.max(MIN_SCALE, scale / 2);
            goodSteps = 0;
            skipped++;
            return false;
        }
        if (++goodSteps >= growthInterval) {
            scale *= 2;
            goodSteps = 0;
        }
        return true;
    }
}
