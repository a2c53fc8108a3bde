package dev.tlab.train;

/** Training tokens per second, counting training steps only (not evaluation or checkpoints). */
final class Throughput {

    private long windowNanos;
    private long windowTokens;
    private long totalNanos;

    void add(long stepNanos, long tokens) {
        windowNanos += stepNanos;
        windowTokens += tokens;
        totalNanos += stepNanos;
    }

    /** Tokens per second since the last call. */
    double takeRate() {
        double rate = windowTokens / (windowNanos / 1e9);
        windowNanos = 0;
        windowTokens = 0;
        return rate;
    }

    /** Seconds spent in training steps so far. */
    double trainSeconds() {
        return totalNanos / 1e9;
    }
}
