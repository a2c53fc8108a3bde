package dev.tlab.positional;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.tlab.layers.TableCache;

/**
 * RoPE (Su et al.): the first {@code rotary} dimensions of each query and key are turned, in pairs
 * {@code (x_i, x_{i + rotary/2})}, by angle {@code p * base^(-2i / rotary)}. A dot product of a
 * rotated query at m and key at n then depends on m - n only.
 */
public final class Rotary implements PositionalScheme {

    private final long context;
    private final int rotary;
    private final double base;
    private final TableCache cache = new TableCache();

    public Rotary(long context, int headDim, double fraction, double base) {
        this.context = context;
        this.rotary = (int) Math.round(headDim * fraction);
        this.base = base;
    }

    /** {@code cos} (or {@code sin}) of every angle, {@code [length, rotary / 2]}. */
    static float[] angles(int length, int rotary, double base, boolean sine) {
        int half = rotary / 2;
        float[] values = new float[length * half];
        for (int p = 0; p < length; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(base, -2.0 * i / rotary);
                values[p * half + i] = (float) (sine ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return values;
    }

    @Override
    public NDArray rotate(NDArray x, long offset) {
        long length = x.getShape().get(2);
        NDArray cos = TableCache.rows(table(x, offset + length, false), offset, length);
        NDArray sin = TableCache.rows(table(x, offset + length, true), offset, length);
        int half = rotary / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:{}", half, rotary));
        NDList parts = new NDList(x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin)));
        if (rotary < x.getShape().get(3)) {
            parts.add(x.get(new NDIndex("..., {}:", rotary)));
        }
        return NDArrays.concat(parts, -1);
    }

    private NDArray table(NDArray x, long needed, boolean sine) {
        int size = Math.toIntExact(TableCache.capacity(needed, context));
        return cache.get((sine ? "sin/" : "cos/") + size, x.getDevice(), x.getDataType(), x.getManager(),
                m -> m.create(angles(size, rotary, base, sine), new Shape(size, rotary / 2)));
    }

    @Override
    public void bind(NDManager owner) {
        cache.bind(owner);
    }
}
