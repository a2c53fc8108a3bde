package dev.tlab.precision;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.tlab.optim.AdamW;

/**
 * bfloat16 mixed precision: the blocks see bfloat16 copies of float32 masters ({@link
 * HalfPrecisionStore}), and every step's gradients, widened, go to the optimizer. bfloat16 has
 * float32's exponent range, so there is no loss scaling and no step is skipped; what it lacks is
 * mantissa (8 bits against float16's 11), which the float32 masters and AdamW state make up for.
 * Needs a JNI library that maps bfloat16 ({@link dev.tlab.layers.Bfloat16Support}).
 */
public final class Bfloat16Precision implements TrainingPrecision {

    private final HalfPrecisionStore store;

    /** @param optimizer whose packed float32 masters the bfloat16 copies are made from */
    public Bfloat16Precision(NDManager manager, AdamW optimizer) {
        this.store = new HalfPrecisionStore(manager, optimizer.packed(), DataType.BFLOAT16);
    }

    @Override
    public ParameterStore store() {
        return store;
    }

    @Override
    public Gradients unscale(AdamW optimizer, boolean needNorm) {
        optimizer.useGradients(store.gradients());
        store.endStep();
        // Of the widened gradients, as in float32.
        return new Gradients(needNorm ? optimizer.gradientNorm() : Double.NaN, true, 1);
    }

    @Override
    public void endStep() {
        store.endStep();
    }
}
