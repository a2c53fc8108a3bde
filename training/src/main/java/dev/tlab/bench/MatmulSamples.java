package dev.tlab.bench;

import java.util.List;

/**
 * Matmul rates timed between training steps: the machine's speed of the moment, which drifts on a
 * shared machine. MFU against their median is efficiency at that speed.
 *
 * @param n the n of the n x n products timed
 * @param flops each sample's rate, in FLOP/s, in the order taken
 */
public record MatmulSamples(int n, List<Double> flops) {

    public MatmulSamples {
        flops = List.copyOf(flops);
    }

    public boolean isEmpty() {
        return flops.isEmpty();
    }

    public int count() {
        return flops.size();
    }

    /** The middle rate (the mean of the two middle ones for an even count); NaN without samples. */
    public double median() {
        return median(flops);
    }

    public double min() {
        return flops.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    public double max() {
        return flops.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
