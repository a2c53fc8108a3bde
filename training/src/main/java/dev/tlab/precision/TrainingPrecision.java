package dev.tlab.precision;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.tlab.config.TrainConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.Bfloat16Support;
import dev.tlab.optim.AdamW;

/**
 * How a training step holds its numbers: {@link FullPrecision} (float32 throughout),
 * {@link HalfPrecision} (float16 weights and activations over float32 masters, with dynamic loss
 * scaling) or {@link Bfloat16Precision} (the same in bfloat16, without loss scaling). The trainer
 * asks this one object and never branches on precision.
 */
public interface TrainingPrecision {

    /**
     * {@code train.precision}'s strategy over the optimizer's (trainable) parameters. Checks {@link
     * #require} again (a bfloat16 cast on a JNI library that cannot hold it ends the JVM); a run
     * asks it first.
     */
    static TrainingPrecision of(TrainConfig train, NDManager manager, AdamW optimizer) {
        require(train);
        return switch (train.precision()) {
            case "fp16" -> new HalfPrecision(manager, optimizer);
            case "bf16" -> new Bfloat16Precision(manager, optimizer);
            default -> new FullPrecision(manager);
        };
    }

    /**
     * Refuses, in one line naming {@code train.precision}, a precision the loaded JNI library cannot
     * run. Asked at the start of a run, before anything is allocated in that type.
     */
    static void require(TrainConfig train) {
        String refusal = refusal(train);
        if (refusal != null) {
            throw new ConfigException(refusal);
        }
    }

    /** Why {@code train}'s precision cannot run here (bf16 where {@link Bfloat16Support} says no), or null. */
    static String refusal(TrainConfig train) {
        if (train.computeType() != DataType.BFLOAT16 || Bfloat16Support.available()) {
            return null;
        }
        return "train.precision: bf16 needs a DJL JNI library that maps bfloat16, and " + Bfloat16Support.unavailableReason()
                + ". Build one with scripts/build-djl-jni.sh (the GPU bundle's run.sh loads it from jni/;"
                + " scripts/cpu-torch-env.sh for a CPU torch), or use fp16 or fp32";
    }

    /** Where the blocks get their weights, in training and evaluation. */
    ParameterStore store();

    /** What backward multiplies the loss by this step; 1 without loss scaling. */
    default double lossScale() {
        return 1;
    }

    /** This step's gradients once backward is done: their norm, and whether to apply them. */
    record Gradients(double norm, boolean apply, double lossScale) {}

    /**
     * Readies the gradients for {@code optimizer}: unscaled norm (taken when {@code needNorm}, and
     * always in float16, where it doubles as the overflow check) and the verdict.
     */
    Gradients unscale(AdamW optimizer, boolean needNorm);

    /** Forgets per-step copies, after a step or an evaluation, so the next use sees updated weights. */
    void endStep();

    /** The loss scale and the good steps since it last changed, for checkpoints; zeros without loss scaling. */
    default double savedScale() {
        return 0;
    }

    default int savedGoodSteps() {
        return 0;
    }

    /** Continues a checkpoint's loss scaling; a scale of 0 (no loss scaling) keeps the default. Only fp16 has one. */
    default void restore(double scale, int goodSteps) {}
}
