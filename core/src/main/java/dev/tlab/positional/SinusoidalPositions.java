package dev.tlab.positional;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Scalars;
import dev.tlab.layers.TableCache;

/**
 * The original fixed table: {@code PE[p, 2i] = sin(p / 10000^(2i/d))}, {@code PE[p, 2i+1] =
 * cos(p / 10000^(2i/d))}, added to token embeddings scaled by {@code sqrt(d)} as in the paper:
 * with GPT-style embeddings (std 0.02) the unscaled table, of magnitude 1, drowns the tokens and
 * training crawls. It extends to any length.
 */
public final class SinusoidalPositions implements PositionalScheme {

    private final long context;
    private final int dModel;
    private final TableCache cache = new TableCache();

    public SinusoidalPositions(long context, int dModel) {
        this.context = context;
        this.dModel = dModel;
    }

    /** The closed-form table, {@code [length, d]}, row-major. */
    public static float[] table(int length, int dModel) {
        float[] values = new float[length * dModel];
        for (int p = 0; p < length; p++) {
            for (int i = 0; i < dModel; i++) {
                double angle = p / Math.pow(10000, (i - i % 2) / (double) dModel);
                values[p * dModel + i] = (float) (i % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return values;
    }

    @Override
    public NDArray embed(ParameterStore ps, NDArray x, long offset) {
        long length = x.getShape().get(1);
        int rows = Math.toIntExact(TableCache.capacity(offset + length, context));
        NDArray table = cache.get(String.valueOf(rows), x.getDevice(), x.getDataType(), x.getManager(),
                m -> m.create(table(rows, dModel), new Shape(rows, dModel)));
        return Scalars.times(x, Math.sqrt(dModel)).add(TableCache.rows(table, offset, length));
    }

    @Override
    public void bind(ai.djl.ndarray.NDManager owner) {
        cache.bind(owner);
    }
}
