package dev.tlab.precision;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.config.TrainConfig;
import dev.tlab.optim.AdamW;

/**
 * How a training step holds its numbers: {@link FullPrecision} (float32 throughout) or
 * {@link HalfPrecision} (float16 weights and activations over float32 masters, with dynamic loss
 * scaling). The trainer asks this one object and never branches on precision.
 */
public interface TrainingPrecision {

    /** {@code train.precision}'s strategy over the optimizer's (trainable) parameters. */
    static TrainingPrecision of(TrainConfig train, NDManager manager, AdamW optimizer) {
        return train.halfPrecision() ? new HalfPrecision(manager, optimizer) : new FullPrecision(manager);
    }

    /** Where the blocks get their weights, in training and evaluation. */
    ParameterStore store();

    /** What backward multiplies the loss by this step. */
    double lossScale();

    /** This step's gradients once backward is done: their norm, and whether to apply them. */
    record Gradients(double norm, boolean apply, double lossScale) {}

    /**
     * Readies the gradients for {@code optimizer}: unscaled norm (taken when {@code needNorm}, and
     * always in float16, where it doubles as the overflow check) and the verdict.
     */
    Gradients unscale(AdamW optimizer, boolean needNorm);

    /** Forgets per-step copies, after a step or an evaluation, so the next use sees updated weights. */
    void endStep();

    /** The loss scale and the good steps since it last changed, for checkpoints; zeros in float32. */
    double savedScale();

    int savedGoodSteps();

    /** Continues a checkpoint's loss scaling; a scale of 0 (a float32 checkpoint) keeps the default. */
    void restore(double scale, int goodSteps);
}
