package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.layers.Biases;
import dev.tlab.layers.Dense;
import dev.tlab.layers.TableCache;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalScheme;
import java.util.List;

/**
 * Multi-head self-attention: q, k and v projected from {@code x} in one fused matmul ({@code qkv},
 * rows in that order), q and k rotated by the positional scheme, an optional causal mask, then the
 * output projection ({@code proj}). With fewer key/value heads than query heads ({@link
 * HeadLayout}), each key/value head serves a group of query heads. With QK-norm, each head's
 * queries and keys pass an RMSNorm ({@code q_norm}, {@code k_norm}) before the rotation. With a cache, new keys and
 * values are appended to the earlier ones; the cache holds only the key/value heads.
 */
public class SelfAttention extends AbstractBlock {

    private final HeadLayout heads;
    private final boolean causal;
    private final double dropout;
    private final AttentionKernel kernel;
    private final PositionalScheme positional;
    private final Dense qkv;
    private final Dense proj;
    /** Null without QK-norm. */
    private final Norm qNorm;
    private final Norm kNorm;
    private final TableCache masks = new TableCache();

    /**
     * @param causal whether each position sees only itself and earlier ones
     * @param positional the scheme's rotate and bias hooks
     * @param projInitStd init std of the output projection (GPT-2 scales it by 1/sqrt(2 layers))
     * @param kernel how the attention itself is computed
     * @param qkNormEps epsilon of the RMSNorm on each head's queries and keys; 0 for none
     */
    public SelfAttention(long dModel, HeadLayout heads, boolean causal, double dropout, Biases bias, double qkNormEps,
            PositionalScheme positional, double projInitStd, AttentionKernel kernel) {
        this.heads = heads;
        this.causal = causal;
        this.dropout = dropout;
        this.kernel = kernel;
        this.positional = positional;
        long q = heads.queryWidth();
        long kv = heads.keyValueWidth();
        qkv = addChildBlock("qkv", new Dense(dModel, q + 2 * kv, 0.02, bias.qkv()).parts(List.of("q", "k", "v"), q, kv, kv));
        proj = addChildBlock("proj", new Dense(q, dModel, projInitStd, bias.out()).parts(List.of("o"), dModel));
        qNorm = qkNormEps > 0 ? addChildBlock("q_norm", new Norm(NormType.RMSNORM, heads.headSize(), false, qkNormEps)) : null;
        kNorm = qkNormEps > 0 ? addChildBlock("k_norm", new Norm(NormType.RMSNORM, heads.headSize(), false, qkNormEps)) : null;
    }

    /** Over {@code x [B, T, C]}, no cache, no padding. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, null, null, training);
    }

    /**
     * @param x {@code [B, T, C]}, whose first token sits at the cache's length
     * @param keyMask additive mask over keys {@code [B, 1, 1, T]} (see {@link Masks}), or any additive mask
     *     that broadcasts over the scores {@code [B, H, T, keys]}, such as {@code [B, 1, T, T]}; or null
     * @param cache earlier keys and values, updated in place, or null
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray keyMask, KvCache cache, boolean training) {
        long length = x.getShape().get(1);
        long offset = cache == null ? 0 : cache.length();
        // Split along C, then view each part as heads: the backward pass concatenates the three
        // gradients once, where indexing a [3, B, H, T, D] view would zero-fill and add three.
        long q = heads.queryWidth();
        NDList parts = qkv.forward(ps, x, training).split(new long[] {q, q + heads.keyValueWidth()}, 2);
        NDArray queries = positional.rotate(normed(ps, qNorm, Attention.heads(parts.get(0), heads.heads())), offset);
        NDArray keys = positional.rotate(normed(ps, kNorm, Attention.heads(parts.get(1), heads.kvHeads())), offset);
        NDArray values = Attention.heads(parts.get(2), heads.kvHeads());
        if (cache != null) {
            NDArray[] past = cache.get(this);
            if (past != null) {
                keys = past[0].concat(keys, 2);
                values = past[1].concat(values, 2);
            }
            cache.put(this, keys, values);
        }
        long keyLength = keys.getShape().get(2);
        NDArray causalMask = causal && length > 1 ? causalMask(ps, length, keyLength, offset, queries) : null;
        NDArray bias = positional.bias(ps, length, keyLength, offset, x.getDevice());
        return proj.forward(ps, Attention.mix(kernel, queries, Attention.shared(keys, heads), Attention.shared(values, heads),
                causalMask, bias, keyMask, dropout, training), training);
    }

    private static NDArray normed(ParameterStore ps, Norm norm, NDArray perHead) {
        return norm == null ? perHead : norm.forward(ps, perHead);
    }

    /**
     * Rows {@code offset..offset+Tq} of the {@code [L, L]} mask, in {@code like}'s type: 0 on and
     * below the diagonal, -inf above.
     */
    NDArray causalMask(ParameterStore ps, long queries, long keys, long offset, NDArray like) {
        long needed = Math.max(offset + queries, keys);
        // Training asks for one square size; anything else shares a power-of-two table.
        int size = Math.toIntExact(offset == 0 && queries == keys ? needed : Math.max(64, Long.highestOneBit(needed - 1) << 1));
        NDArray mask = masks.get(String.valueOf(size), like.getDevice(), like.getDataType(), ps.getManager(), m -> {
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
