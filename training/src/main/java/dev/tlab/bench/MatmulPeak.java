package dev.tlab.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The fastest matmul rate seen, in FLOP/s, and the n x n size that gave it.
 *
 * @param flops the best rate, in FLOP/s
 * @param size the n that gave it
 */
public record MatmulPeak(double flops, int size) {

    /** The sizes {@link #measure} times: n/4, n/2 and n. */
    public static int[] sizes(int largest) {
        return new int[] {largest / 4, largest / 2, largest};
    }

    /** Best of several timed matmuls of each of {@link #sizes}, each after a warm-up. */
    public static MatmulPeak measure(Device device, int largest, DataType type) {
        return measure(device, largest, type, line -> {});
    }

    /** {@link #measure(Device, int, DataType)}, with a line to {@code say} as each size is timed. */
    public static MatmulPeak measure(Device device, int largest, DataType type, Consumer<String> say) {
        MatmulPeak best = new MatmulPeak(0, largest);
        for (int n : sizes(largest)) {
            long start = System.nanoTime();
            double flops = measureAt(device, n, type);
            say.accept(String.format(Locale.ROOT, "  n = %d: %.1f GFLOP/s (%.1f s)", n, flops / 1e9,
                    (System.nanoTime() - start) / 1e9));
            if (flops > best.flops()) {
                best = new MatmulPeak(flops, n);
            }
        }
        return best;
    }

    private static double measureAt(Device device, int n, DataType type) {
        try (MatmulProbe probe = new MatmulProbe(device, n, type)) {
            double best = 0;
            for (int i = 0; i < 12; i++) {
                double flops = probe.rate(1);
                if (i >= 2) {
                    best = Math.max(best, flops);
                }
            }
            return best;
        }
    }
}
