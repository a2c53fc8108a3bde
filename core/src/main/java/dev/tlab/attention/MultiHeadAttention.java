package dev.tlab.attention;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.layers.Dense;
import dev.tlab.layers.Dropout;
import dev.tlab.layers.Precision;
import dev.tlab.layers.Scalars;
import dev.tlab.layers.TableCache;
import dev.tlab.positional.PositionalScheme;

/**
 * Multi-head attention, {@code softmax(q k^T / sqrt(d_head) + masks + bias) v}, then an output
 * projection. Self-attention projects q, k and v in one fused matmul ({@code qkv}); cross-attention
 * projects q from the decoder ({@code q}) and k, v from the encoder output ({@code kv}).
 */
public class MultiHeadAttention extends AbstractBlock {

    private final int heads;
    private final long dModel;
    private final long headDim;
    private final boolean causal;
    private final double dropout;
    private final PositionalScheme positional;
    private final Dense qkv;
    private final Dense q;
    private final Dense kv;
    private final Dense proj;
    private final TableCache masks = new TableCache();

    /**
     * @param cross whether keys and values come from a separate memory (cross-attention)
     * @param positional the scheme's rotate and bias hooks (cross-attention has none)
     * @param projInitStd init std of the output projection (GPT-2 scales it by 1/sqrt(2 layers))
     */
    public MultiHeadAttention(
            long dModel, int heads, boolean causal, boolean cross, double dropout, boolean bias,
            PositionalScheme positional, double projInitStd) {
        if (dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "model.d_model (" + dModel + ") must be divisible by model.heads (" + heads + ")");
        }
        this.heads = heads;
        this.dModel = dModel;
        this.headDim = dModel / heads;
        this.causal = causal;
        this.dropout = dropout;
        this.positional = positional;
        if (cross) {
            qkv = null;
            q = addChildBlock("q", new Dense(dModel, dModel, 0.02, bias));
            kv = addChildBlock("kv", new Dense(dModel, 2 * dModel, 0.02, bias));
        } else {
            qkv = addChildBlock("qkv", new Dense(dModel, 3 * dModel, 0.02, bias));
            q = null;
            kv = null;
        }
        proj = addChildBlock("proj", new Dense(dModel, dModel, projInitStd, bias));
    }

    /** Self-attention over {@code x [B, T, C]}, no cache, no padding. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, null, null, null, training);
    }

    /**
     * @param x queries' source {@code [B, Tq, C]}
     * @param memory keys' and values' source for cross-attention {@code [B, Tk, C]}, else null
     * @param keyMask additive mask over keys {@code [B, 1, 1, Tk]} (see {@link Masks}), or null
     * @param cache earlier keys and values, updated in place, or null
     */
    public NDArray forward(
            ParameterStore ps, NDArray x, NDArray memory, NDArray keyMask, KvCache cache, boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        long offset = cache == null ? 0 : cache.length();
        NDArray queries;
        NDArray keys;
        NDArray values;
        if (qkv != null) {
            // Split along C, then view each part as heads: the backward pass concatenates the three
            // gradients once, where indexing a [3, B, H, T, D] view would zero-fill and add three.
            NDList parts = qkv.forward(ps, x).split(3, 2);
            queries = positional.rotate(heads(parts.get(0)), offset);
            keys = positional.rotate(heads(parts.get(1)), offset);
            values = heads(parts.get(2));
            if (cache != null) {
                NDArray[] past = cache.get(this);
                if (past != null) {
                    keys = past[0].concat(keys, 2);
                    values = past[1].concat(values, 2);
                }
                cache.put(this, keys, values);
            }
        } else {
            queries = heads(q.forward(ps, x));
            NDArray[] stored = cache == null ? null : cache.get(this);
            if (stored == null) {
                NDList parts = kv.forward(ps, memory).split(2, 2);
                stored = new NDArray[] {heads(parts.get(0)), heads(parts.get(1))};
                if (cache != null) {
                    cache.put(this, stored[0], stored[1]);
                }
            }
            keys = stored[0];
            values = stored[1];
        }
        long keyLength = keys.getShape().get(2);
        // Scaling q (T x D) is cheaper than scaling the scores (T x T).
        NDArray scores = Scalars.times(queries, 1.0 / Math.sqrt(headDim)).matMul(keys.transpose(0, 1, 3, 2));
        if (causal && length > 1) {
            scores = scores.add(causalMask(ps, length, keyLength, offset, scores));
        }
        NDArray bias = positional.bias(ps, length, keyLength, offset, x.getDevice());
        if (bias != null) {
            // Learned biases already come in the activations' type; only constant tables are cast.
            scores = scores.add(TableCache.matching(bias, scores));
        }
        if (keyMask != null) {
            scores = scores.add(TableCache.matching(keyMask, scores));
        }
        // Softmax in float32 whatever the activations' type.
        NDArray probabilities = Precision.narrow(Precision.widen(scores).softmax(-1), scores.getDataType());
        NDArray weights = Dropout.apply(probabilities, dropout, training);
        NDArray mixed = weights.matMul(values).transpose(0, 2, 1, 3).reshape(batch, length, dModel);
        return proj.forward(ps, mixed);
    }

    /** {@code [B, T, C]} to {@code [B, H, T, D]}, a view. */
    private NDArray heads(NDArray part) {
        return part.reshape(part.getShape().get(0), part.getShape().get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /** Rows {@code offset..offset+Tq} of the {@code [L, L]} mask: 0 on and below the diagonal, -inf above. */
    NDArray causalMask(ParameterStore ps, long queries, long keys, long offset, NDArray scores) {
        long needed = Math.max(offset + queries, keys);
        // Training asks for one square size; anything else shares a power-of-two table.
        int size = Math.toIntExact(offset == 0 && queries == keys ? needed : Math.max(64, Long.highestOneBit(needed - 1) << 1));
        NDArray mask = masks.get(String.valueOf(size), scores.getDevice(), scores.getDataType(), ps.getManager(), m -> {
            float[] values = new float[size * size];
            for (int row = 0; row < size; row++) {
                for (int col = row + 1; col < size; col++) {
                    values[row * size + col] = Float.NEGATIVE_INFINITY;
                }
            }
            return m.create(values, new Shape(size, size));
        });
        if (offset == 0 && queries == size && keys == size) {
            return mask;
        }
        return mask.get(new NDIndex("{}:{}, :{}", offset, offset + queries, keys));
    }

    /** Gives the block the model's manager, which owns its cached masks. */
    public void bind(NDManager owner) {
        masks.bind(owner);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        bind(manager);
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
