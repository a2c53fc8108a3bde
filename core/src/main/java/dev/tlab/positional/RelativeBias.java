package dev.tlab.positional;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.tlab.layers.Params;
import dev.tlab.layers.TableCache;
import dev.tlab.layers.TokenEmbedding;

/**
 * T5's relative position bias: the distance {@code j - i} falls into one of {@code buckets} (exact
 * for short distances, logarithmic up to {@code maxDistance}), and each bucket has a learned bias
 * per head, shared by all layers of a stack. Decoders put every future distance in bucket 0.
 */
public class RelativeBias extends AbstractBlock implements PositionalScheme {

    private final int heads;
    private final long context;
    private final int buckets;
    private final int maxDistance;
    private final boolean causal;
    private final Parameter weight;
    private final TableCache cache = new TableCache();

    public RelativeBias(int heads, long context, int buckets, int maxDistance, boolean causal) {
        this.heads = heads;
        this.context = context;
        this.buckets = buckets;
        this.maxDistance = maxDistance;
        this.causal = causal;
        weight = addParameter(Params.of("weight", Parameter.Type.WEIGHT, new Shape(buckets, heads), new NormalInitializer(0.02f)));
    }

    /** T5's {@code _relative_position_bucket} for {@code relative = key - query}. */
    public static int bucket(int relative, boolean bidirectional, int buckets, int maxDistance) {
        int offset = 0;
        int n = buckets;
        int distance;
        if (bidirectional) {
            n /= 2;
            offset = relative > 0 ? n : 0;
            distance = Math.abs(relative);
        } else {
            distance = Math.max(0, -relative);
        }
        int maxExact = n / 2;
        if (distance < maxExact) {
            return offset + distance;
        }
        int large = maxExact
                + (int) (Math.log(distance / (double) maxExact) / Math.log(maxDistance / (double) maxExact) * (n - maxExact));
        return offset + Math.min(large, n - 1);
    }

    @Override
    public NDArray bias(ParameterStore ps, long queries, long keys, long offset, Device device) {
        int size = Math.toIntExact(TableCache.capacity(Math.max(offset + queries, keys), context));
        NDArray ids = cache.get(String.valueOf(size), device, ps.getManager(), m -> {
            long[] table = new long[size * size];
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    table[i * size + j] = bucket(j - i, !causal, buckets, maxDistance);
                }
            }
            return m.create(table, new Shape(size, size));
        });
        if (offset != 0 || queries != size || keys != size) {
            ids = ids.get(new NDIndex("{}:{}, :{}", offset, offset + queries, keys));
        }
        // [Tq, Tk] bucket ids -> [Tq, Tk, H] -> [H, Tq, Tk]
        return TokenEmbedding.lookup(ids, ps.getValue(weight, device, true)).transpose(2, 0, 1);
    }

    @Override
    public void bind(NDManager owner) {
        cache.bind(owner);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return inputs;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
