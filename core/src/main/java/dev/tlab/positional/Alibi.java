package dev.tlab.positional;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.TableCache;

/**
 * ALiBi (Press et al., 2022): score(i, j) gets {@code -slope_h * (i - j)}, a per-head linear
 * penalty on distance and no position embedding at all. Decoders penalize past keys only (future
 * keys are masked anyway); encoders penalize {@code |i - j|} both ways.
 */
public final class Alibi implements PositionalScheme {

    private final int heads;
    private final long context;
    private final boolean causal;
    private final double[] slopes;
    private final TableCache cache = new TableCache();

    public Alibi(int heads, long context, boolean causal) {
        this.heads = heads;
        this.context = context;
        this.causal = causal;
        this.slopes = slopes(heads);
    }

    /**
     * The paper's geometric slopes: for n a power of two, {@code 2^(-8 i / n)} for i = 1..n. Otherwise
     * the slopes of the closest smaller power of two m, then every other slope of 2m.
     */
    public static double[] slopes(int heads) {
        int m = Integer.highestOneBit(heads);
        double[] result = new double[heads];
        for (int i = 0; i < m; i++) {
            result[i] = Math.pow(2, -8.0 * (i + 1) / m);
        }
        for (int i = 0; i < heads - m; i++) {
            result[m + i] = Math.pow(2, -8.0 * (2 * i + 1) / (2 * m));
        }
        return result;
    }

    /** The closed-form bias {@code [heads, queries, keys]} for queries starting at position 0. */
    public static float[] table(double[] slopes, int queries, int keys, boolean causal) {
        float[] values = new float[slopes.length * queries * keys];
        for (int h = 0; h < slopes.length; h++) {
            for (int i = 0; i < queries; i++) {
                for (int j = 0; j < keys; j++) {
                    int distance = causal ? Math.max(0, i - j) : Math.abs(i - j);
                    values[(h * queries + i) * keys + j] = (float) (-slopes[h] * distance);
                }
            }
        }
        return values;
    }

    @Override
    public NDArray bias(ParameterStore ps, long queries, long keys, long offset, Device device) {
        int size = Math.toIntExact(TableCache.capacity(Math.max(offset + queries, keys), context));
        NDArray table = cache.get(String.valueOf(size), device, ps.getManager(),
                m -> m.create(table(slopes, size, size, causal), new Shape(heads, size, size)));
        if (offset == 0 && queries == size && keys == size) {
            return table;
        }
        return table.get(new NDIndex(":, {}:{}, :{}", offset, offset + queries, keys));
    }

    @Override
    public void bind(NDManager owner) {
        cache.bind(owner);
    }
}
