package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.layers.Biases;
import dev.tlab.layers.Dense;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormType;
import java.util.List;

/**
 * Multi-head cross-attention: q projected from the decoder's {@code x} ({@code q}), k and v from
 * the encoder output ({@code kv}), then the output projection ({@code proj}). No positions, no
 * causal mask. With a cache, the memory's keys and values are projected once and reused.
 */
public class CrossAttention extends AbstractBlock {

    private final HeadLayout heads;
    private final double dropout;
    private final AttentionKernel kernel;
    private final Dense q;
    private final Dense kv;
    private final Dense proj;
    /** Null without QK-norm. */
    private final Norm qNorm;
    private final Norm kNorm;

    /**
     * @param projInitStd init std of the output projection (GPT-2 scales it by 1/sqrt(2 layers))
     * @param kernel how the attention itself is computed
     * @param qkNormEps epsilon of the RMSNorm on each head's queries and keys; 0 for none
     */
    public CrossAttention(long dModel, HeadLayout heads, double dropout, Biases bias, double qkNormEps, double projInitStd,
            AttentionKernel kernel) {
        this.heads = heads;
        this.dropout = dropout;
        this.kernel = kernel;
        long qw = heads.queryWidth();
        long kvw = heads.keyValueWidth();
        q = addChildBlock("q", new Dense(dModel, qw, 0.02, bias.qkv()).parts(List.of("q"), qw));
        kv = addChildBlock("kv", new Dense(dModel, 2 * kvw, 0.02, bias.qkv()).parts(List.of("k", "v"), kvw, kvw));
        proj = addChildBlock("proj", new Dense(qw, dModel, projInitStd, bias.out()).parts(List.of("o"), dModel));
        qNorm = qkNormEps > 0 ? addChildBlock("q_norm", new Norm(NormType.RMSNORM, heads.headSize(), false, qkNormEps)) : null;
        kNorm = qkNormEps > 0 ? addChildBlock("k_norm", new Norm(NormType.RMSNORM, heads.headSize(), false, qkNormEps)) : null;
    }

    /**
     * @param x queries' source {@code [B, Tq, C]}
     * @param memory keys' and values' source {@code [B, Tk, C]}; unused once the cache holds them
     * @param keyMask additive mask over the memory {@code [B, 1, 1, Tk]} (see {@link Masks}), or null
     * @param cache where the memory's keys and values are kept after the first call, or null
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray memory, NDArray keyMask, KvCache cache,
            boolean training) {
        NDArray queries = Attention.heads(q.forward(ps, x, training), heads.heads());
        if (qNorm != null) {
            queries = qNorm.forward(ps, queries);
        }
        NDArray[] stored = cache == null ? null : cache.get(this);
        if (stored == null) {
            NDList parts = kv.forward(ps, memory, training).split(2, 2);
            NDArray keys = Attention.heads(parts.get(0), heads.kvHeads());
            stored = new NDArray[] {kNorm == null ? keys : kNorm.forward(ps, keys), Attention.heads(parts.get(1), heads.kvHeads())};
            if (cache != null) {
                cache.put(this, stored[0], stored[1]);
            }
        }
        return proj.forward(ps, Attention.mix(kernel, queries, Attention.shared(stored[0], heads),
                Attention.shared(stored[1], heads), null, null, keyMask, dropout, training), training);
    }

    /** Inputs: {@code x} and the memory. */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.get(0), inputs.get(1), null, null, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
