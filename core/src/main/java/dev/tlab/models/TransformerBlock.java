package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.KvCache;
import dev.tlab.attention.MultiHeadAttention;
import dev.tlab.layers.FeedForward;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.Residual;
import dev.tlab.positional.PositionalScheme;
import dev.tlab.profile.SublayerKind;
import dev.tlab.profile.SublayerTimer;
import java.util.function.UnaryOperator;

/**
 * One layer: self-attention, then (in an encoder-decoder's decoder) cross-attention over the
 * encoder output, then the feed-forward; each a residual branch placed by {@link Residual}.
 */
public class TransformerBlock extends AbstractBlock {

    private final ModelConfig config;
    private final Norm ln1;
    private final MultiHeadAttention attn;
    private final Norm postln1;
    private final Norm lnx;
    private final MultiHeadAttention xattn;
    private final Norm postlnx;
    private final Norm ln2;
    private final FeedForward mlp;
    private final Norm postln2;
    private SublayerTimer timer = SublayerTimer.OFF;

    public TransformerBlock(ModelConfig config, boolean causal, boolean cross, PositionalScheme positional) {
        this.config = config;
        // GPT-2: projections into the residual stream get std 0.02 / sqrt(2 * layers).
        double projStd = 0.02 / Math.sqrt(2.0 * config.layers());
        boolean sandwich = config.normPlacement() == NormPlacement.SANDWICH;
        ln1 = addChildBlock("ln1", norm());
        attn = addChildBlock("attn", new MultiHeadAttention(config.dModel(), config.heads(), causal, false,
                config.dropout(), config.bias(), positional, projStd));
        postln1 = sandwich ? addChildBlock("postln1", norm()) : null;
        if (cross) {
            lnx = addChildBlock("lnx", norm());
            xattn = addChildBlock("xattn", new MultiHeadAttention(config.dModel(), config.heads(), false, true,
                    config.dropout(), config.bias(), PositionalScheme.NONE, projStd));
            postlnx = sandwich ? addChildBlock("postlnx", norm()) : null;
        } else {
            lnx = null;
            xattn = null;
            postlnx = null;
        }
        ln2 = addChildBlock("ln2", norm());
        mlp = addChildBlock("mlp", new FeedForward(config.ffn(), config.dModel(), config.ffHidden(), config.bias(),
                config.dropout(), projStd));
        postln2 = sandwich ? addChildBlock("postln2", norm()) : null;
    }

    private Norm norm() {
        return new Norm(config.norm(), config.dModel(), config.bias());
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
        NormPlacement placement = config.normPlacement();
        double p = config.dropout();
        x = Residual.apply(placement, norm(ps, ln1), norm(ps, postln1), x,
                timed(SublayerKind.ATTENTION, h -> attn.forward(ps, h, null, selfMask, cache, training)), p, training);
        if (xattn != null) {
            x = Residual.apply(placement, norm(ps, lnx), norm(ps, postlnx), x,
                    timed(SublayerKind.ATTENTION, h -> xattn.forward(ps, h, memory, memoryMask, cache, training)),
                    p, training);
        }
        return Residual.apply(placement, norm(ps, ln2), norm(ps, postln2), x,
                timed(SublayerKind.FFN, h -> mlp.forward(ps, h, training)), p, training);
    }

    private UnaryOperator<NDArray> timed(SublayerKind kind, UnaryOperator<NDArray> sublayer) {
        return h -> timer.run(kind, h, sublayer);
    }

    private UnaryOperator<NDArray> norm(ParameterStore ps, Norm norm) {
        return norm == null ? null : timed(SublayerKind.NORM, h -> norm.forward(ps, h));
    }

    /** Routes every sublayer call through {@code timer}; see {@link SublayerTimer}. */
    public void setTimer(SublayerTimer timer) {
        this.timer = timer;
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
