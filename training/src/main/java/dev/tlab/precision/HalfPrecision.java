package dev.tlab.precision;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.optim.AdamW;

/**
 * float16 mixed precision: the blocks see float16 copies of float32 masters ({@link
 * HalfPrecisionStore}); the loss is scaled before backward ({@link LossScaler}); a step whose
 * gradients overflowed is skipped, otherwise its gradients, widened, go to the optimizer.
 */
public final class HalfPrecision implements TrainingPrecision {

    private final HalfPrecisionStore store;
    private final LossScaler scaler = new LossScaler();

    /** @param optimizer whose packed float32 masters the float16 copies are made from */
    public HalfPrecision(NDManager manager, AdamW optimizer) {
        this.store = new HalfPrecisionStore(manager, optimizer.packed());
    }

    @Override
    public ParameterStore store() {
        return store;
    }

    @Override
    public double lossScale() {
        return scaler.scale();
    }

    @Override
    public Gradients unscale(AdamW optimizer, boolean needNorm) {
        double lossScale = scaler.scale();
        optimizer.useGradients(store.gradients());
        // The overflow check needs the norm anyway: one host read per step.
        double norm = optimizer.gradientNorm() / lossScale;
        boolean apply = scaler.update(norm);
        if (!apply) {
            optimizer.discardGradients();
        }
        store.endStep();
        return new Gradients(norm, apply, lossScale);
    }

    @Override
    public void endStep() {
        store.endStep();
    }

    @Override
    public double savedScale() {
        return scaler.scale();
    }

    @Override
    public int savedGoodSteps() {
        return scaler.goodSteps();
    }

    @Override
    public void restore(double scale, int goodSteps) {
        if (scale > 0) {
            scaler.restore(scale, goodSteps);
        }
    }
}
