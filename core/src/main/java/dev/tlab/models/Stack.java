package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.layers.Dropout;
import dev.tlab.norm.Norm;
import dev.tlab.positional.Alibi;
import dev.tlab.positional.LearnedPositions;
import dev.tlab.positional.PositionalKind;
import dev.tlab.positional.PositionalScheme;
import dev.tlab.positional.RelativeBias;
import dev.tlab.positional.Rotary;
import dev.tlab.positional.SinusoidalPositions;
import dev.tlab.profile.SublayerKind;
import dev.tlab.profile.SublayerTimer;
import java.util.ArrayList;
import java.util.List;

/**
 * A tower of {@link TransformerBlock}s with its position scheme and final norm. Not a block itself:
 * it registers its parts on the owning model under a prefix, so a GPT's parameters are named
 * {@code h.0...} and an encoder-decoder's {@code enc.h.0...} and {@code dec.h.0...}.
 */
final class Stack {

    private final ModelConfig config;
    private final PositionalScheme positional;
    private final List<TransformerBlock> layers = new ArrayList<>();
    private final Norm lnf;
    private SublayerTimer timer = SublayerTimer.OFF;

    Stack(ModelConfig config, int depth, boolean causal, boolean cross, String prefix, Registrar registrar) {
        this.config = config;
        positional = scheme(config, causal);
        if (positional instanceof Block table) {
            registrar.add(prefix + (config.positional() == PositionalKind.RELATIVE ? "rel" : "wpe"), table);
        }
        for (int i = 0; i < depth; i++) {
            layers.add(registrar.add(prefix + "h." + i, new TransformerBlock(config, causal, cross, positional)));
        }
        lnf = config.normPlacement().hasFinalNorm()
                ? registrar.add(prefix + "lnf", new Norm(config.norm(), config.dModel(), config.bias().norm(), config.normEps()))
                : null;
    }

    static PositionalScheme scheme(ModelConfig c, boolean causal) {
        return switch (c.positional()) {
            case LEARNED -> new LearnedPositions(c.context(), c.dModel());
            case SINUSOIDAL -> new SinusoidalPositions(c.context(), c.dModel());
            case RELATIVE -> new RelativeBias(c.heads(), c.context(), c.relativeBuckets(), c.relativeMaxDistance(), causal);
            case ALIBI -> new Alibi(c.heads(), c.context(), causal);
            case ROPE -> new Rotary(c.context(), c.headSize(), c.ropeFraction(), c.ropeBase());
            case NONE -> PositionalScheme.NONE;
        };
    }

    /**
     * Token embeddings {@code [B, T, C]} to final hidden states; positions start at the cache's
     * length. The caller advances the cache once all stacks have run.
     */
    NDArray forward(ParameterStore ps, NDArray embeddings, NDArray selfMask, NDArray memory, NDArray memoryMask,
            KvCache cache, boolean training) {
        long offset = cache == null ? 0 : cache.length();
        long end = offset + embeddings.getShape().get(1);
        if (end > positional.maxLength()) {
            throw new IllegalArgumentException("a sequence of " + end + " positions is longer than model.context ("
                    + config.context() + "), the most that model.positional = learned can place");
        }
        NDArray x = timer.run(SublayerKind.EMBEDDING, embeddings,
                e -> Dropout.apply(positional.embed(ps, e, offset), config.dropout(), training));
        for (TransformerBlock layer : layers) {
            x = layer.forward(ps, x, selfMask, memory, memoryMask, cache, training);
        }
        return lnf == null ? x : timer.run(SublayerKind.NORM, x, h -> lnf.forward(ps, h));
    }

    void setTimer(SublayerTimer timer) {
        this.timer = timer;
        for (TransformerBlock layer : layers) {
            layer.setTimer(timer);
        }
    }

    void bind(NDManager owner) {
        positional.bind(owner);
    }

    PositionalScheme positional() {
        return positional;
    }
}
