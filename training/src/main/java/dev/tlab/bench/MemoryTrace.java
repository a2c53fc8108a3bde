package dev.tlab.bench;

import java.util.List;

/**
 * Resident memory sampled during a run, and its growth once settled. The Java heap and allocator
 * arenas grow over the first few thousand steps and then stay put; a leak keeps growing.
 *
 * @param samples in step order
 * @param settledFrom the first step whose samples count as settled ({@link #settledFrom(long, long)})
 */
public record MemoryTrace(List<Sample> samples, long settledFrom) {

    /** Resident bytes after {@code step} steps. */
    public record Sample(long step, long residentBytes) {}

    public MemoryTrace {
        samples = List.copyOf(samples);
    }

    /** After the warm-up steps and after the first quarter of the run. */
    public static long settledFrom(long warm, long steps) {
        return Math.max(warm + 1, steps / 4);
    }

    public List<Sample> settled() {
        return samples.stream().filter(s -> s.step() >= settledFrom).toList();
    }

    /** The first settled sample, or null if there is none. */
    public Sample baseline() {
        List<Sample> settled = settled();
        return settled.isEmpty() ? null : settled.get(0);
    }

    /**
     * The highest settled sample after the baseline over the baseline, minus one; NaN with fewer
     * than two settled samples.
     */
    public double growth() {
        List<Sample> settled = settled();
        if (settled.size() < 2) {
            return Double.NaN;
        }
        long baseline = settled.get(0).residentBytes();
        long highest = settled.stream().skip(1).mapToLong(Sample::residentBytes).max().orElse(baseline);
        return (double) highest / baseline - 1;
    }
}
