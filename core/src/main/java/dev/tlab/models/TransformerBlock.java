package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.CrossAttention;
import dev.tlab.attention.KvCache;
import dev.tlab.attention.SelfAttention;
import dev.tlab.layers.FeedForward;
import dev.tlab.positional.PositionalScheme;
import dev.tlab.profile.SublayerKind;
import dev.tlab.profile.SublayerTimer;

/**
 * One layer: self-attention, then (in an encoder-decoder's decoder) cross-attention over the
 * encoder output, then the feed-forward; each a {@link ResidualBranch} with the model's norm
 * placement.
 */
public class TransformerBlock extends AbstractBlock {

    private final SelfAttention attn;
    private final ResidualBranch attnBranch;
    /** Null outside an encoder-decoder's decoder. */
    private final CrossAttention xattn;
    private final ResidualBranch xattnBranch;
    private final FeedForward mlp;
    private final ResidualBranch mlpBranch;

    public TransformerBlock(ModelConfig config, boolean causal, boolean cross, PositionalScheme positional) {
        // GPT-2: projections into the residual stream get std 0.02 / sqrt(2 * layers).
        double projStd = 0.02 / Math.sqrt(2.0 * config.layers());
        // Each branch registers ln<id>, the sublayer, then postln<id>: that order is the parameters'
        // order, which fixes initialization draws and checkpoint layout.
        attn = new SelfAttention(config.dModel(), config.headLayout(), causal, config.dropout(), config.bias(),
                qkNormEps(config), positional, projStd, config.attention());
        attnBranch = new ResidualBranch(config, "1", "attn", attn, SublayerKind.ATTENTION, this::addChildBlock);
        if (cross) {
            xattn = new CrossAttention(config.dModel(), config.headLayout(), config.dropout(), config.bias(), qkNormEps(config), projStd,
                    config.attention());
            xattnBranch = new ResidualBranch(config, "x", "xattn", xattn, SublayerKind.ATTENTION, this::addChildBlock);
        } else {
            xattn = null;
            xattnBranch = null;
        }
        mlp = new FeedForward(config.ffn(), config.gelu(), config.dModel(), config.ffHidden(), config.bias().mlp(), config.dropout(),
                projStd);
        mlpBranch = new ResidualBranch(config, "2", "mlp", mlp, SublayerKind.FFN, this::addChildBlock);
    }

    private static double qkNormEps(ModelConfig config) {
        return config.qkNorm() ? config.normEps() : 0;
    }

    /** Self-attention and feed-forward only. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, null, null, null, null, training);
    }

    /**
     * @param selfMask additive key-padding mask for self-attention, or null
     * @param memory the encoder output for cross-attention, or null
     * @param memoryMask additive key-padding mask over the memory, or null
     * @param cache keys and values of earlier positions, or null
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray selfMask, NDArray memory, NDArray memoryMask,
            KvCache cache, boolean training) {
        x = attnBranch.apply(ps, x, h -> attn.forward(ps, h, selfMask, cache, training), training);
        if (xattn != null) {
            x = xattnBranch.apply(ps, x, h -> xattn.forward(ps, h, memory, memoryMask, cache, training), training);
        }
        return mlpBranch.apply(ps, x, h -> mlp.forward(ps, h, training), training);
    }

    /** Routes every sublayer call through {@code timer}; see {@link SublayerTimer}. */
    public void setTimer(SublayerTimer timer) {
        attnBranch.setTimer(timer);
        if (xattnBranch != null) {
            xattnBranch.setTimer(timer);
        }
        mlpBranch.setTimer(timer);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
