package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Dropout;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormPlacement;
import dev.tlab.profile.SublayerKind;
import dev.tlab.profile.SublayerTimer;
import java.util.function.UnaryOperator;

/**
 * One residual branch of a block, {@code x + drop(f(x))}, its norms placed once, at construction,
 * where {@link NormPlacement} says: PRE {@code x + drop(f(norm(x)))}, POST {@code norm(x +
 * drop(f(x)))}, SANDWICH {@code x + drop(outNorm(f(norm(x))))}. Dropout is on the branch output,
 * never on the residual path. Not a block itself: it registers its parts on the owning block.
 */
final class ResidualBranch {

    /** A norm at one spot of the branch, or the identity where the placement puts none. */
    private interface Step {
        NDArray apply(ParameterStore ps, NDArray x);
    }

    private static final Step IDENTITY = (ps, x) -> x;

    private final SublayerKind kind;
    private final double dropout;
    private final Step inputNorm;
    private final Step outputNorm;
    private final Step sumNorm;
    private SublayerTimer timer = SublayerTimer.OFF;

    /**
     * Registers, in this order, the branch's norm as {@code "ln" + id}, the sublayer as {@code name}
     * and a sandwich's output norm as {@code "postln" + id}.
     *
     * @param kind what the sublayer's time is reported as
     */
    ResidualBranch(ModelConfig config, String id, String name, Block sublayer, SublayerKind kind, Registrar registrar) {
        this.kind = kind;
        this.dropout = config.dropout();
        NormPlacement placement = config.normPlacement();
        // Every placement norms either the sublayer's input or the sum, with this one norm.
        Step norm = timed(registrar.add("ln" + id, norm(config)));
        registrar.add(name, sublayer);
        inputNorm = placement.normsInput() ? norm : IDENTITY;
        sumNorm = placement.normsSum() ? norm : IDENTITY;
        outputNorm = placement.normsOutput() ? timed(registrar.add("postln" + id, norm(config))) : IDENTITY;
    }

    private static Norm norm(ModelConfig config) {
        return new Norm(config.norm(), config.dModel(), config.bias().norm(), config.normEps());
    }

    private Step timed(Norm norm) {
        return (ps, x) -> timer.run(SublayerKind.NORM, x, h -> norm.forward(ps, h));
    }

    /** {@code x} plus the branch through {@code sublayer}, normed as placed. */
    NDArray apply(ParameterStore ps, NDArray x, UnaryOperator<NDArray> sublayer, boolean training) {
        NDArray branch = outputNorm.apply(ps, timer.run(kind, inputNorm.apply(ps, x), sublayer));
        return sumNorm.apply(ps, x.add(Dropout.apply(branch, dropout, training)));
    }

    /** Routes the norm and sublayer calls through {@code timer}; see {@link SublayerTimer}. */
    void setTimer(SublayerTimer timer) {
        this.timer = timer;
    }
}
