package dev.tlab.precision;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.optim.AdamW;

/** float32 throughout: weights as they are, no loss scaling, every step applied. */
public final class FullPrecision implements TrainingPrecision {

    private final ParameterStore store;

    public FullPrecision(NDManager manager) {
        this.store = new ParameterStore(manager, false);
    }

    @Override
    public ParameterStore store() {
        return store;
    }

    @Override
    public Gradients unscale(AdamW optimizer, boolean needNorm) {
        return new Gradients(needNorm ? optimizer.gradientNorm() : Double.NaN, true, 1);
    }

    @Override
    public void endStep() {}
}
