package dev.tlab.bench;

/**
 * Training speed over a window of timed steps, and the model FLOP utilization (MFU) it gives
 * against a matmul rate: achieved training FLOP/s over that rate.
 *
 * @param steps how many steps were timed
 * @param seconds their time, without anything timed between them
 * @param tokensPerStep training tokens one optimizer step consumes
 * @param flopsPerToken training FLOPs per token ({@code ModelConfig.trainingFlopsPerToken})
 */
public record Throughput(long steps, double seconds, long tokensPerStep, double flopsPerToken) {

    public double tokensPerSecond() {
        return steps * tokensPerStep / seconds;
    }

    public double msPerStep() {
        return 1000 * seconds / steps;
    }

    /** Training FLOP/s. */
    public double achievedFlops() {
        return tokensPerSecond() * flopsPerToken;
    }

    /** Achieved FLOP/s over {@code peakFlops}, as a fraction. */
    public double mfu(double peakFlops) {
        return achievedFlops() / peakFlops;
    }
}
