package dev.tlab.train;

/** Training tokens per second, counting training steps only (not evaluation or checkpoints). */
final class Throughput {

    private long windowNanos;
    private long windowTokens;
    private long windowSteps;
    private long totalNanos;

    void add(long stepNanos, long tokens) {
        windowNanos += stepNanos;
        windowTokens += tokens;
        windowSteps++;
        totalNanos += stepNanos;
    }

    /** Tokens per second and mean seconds per step since the last call. */
    Window take() {
        Window window = new Window(windowTokens / (windowNanos / 1e9), windowNanos / 1e9 / windowSteps);
        windowNanos = 0;
        windowTokens = 0;
        windowSteps = 0;
        return window;
    }

    record Window(double tokensPerSecond, double stepSeconds) {}

    /** Seconds spent in training steps so far. */
    double trainSeconds() {
        return totalNanos / 1e9;
    }
}
