package dev.tlab.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.tlab.config.TrainConfig;
import dev.tlab.layers.Scalars;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.GlobalNormClip;
import dev.tlab.optim.LrSchedule;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.profile.Phase;
import java.util.Map;

/**
 * One optimizer step: forward and backward over {@code train.grad_accum} micro-batches, the
 * gradients' norm and clipping factor, the AdamW update. Everything it allocates lives in an
 * {@link NDScope} that closes before the update, which runs on arrays that live as long as the
 * model.
 */
final class TrainingStep {

    private final Task task;
    private final TrainingPrecision precision;
    private final AdamW optimizer;
    private final TrainConfig train;
    private final NDManager manager;
    private final TrainingListener phases;
    private final LrSchedule schedule;

    /**
     * What the step did. {@code loss} is NaN and {@code updateRatios} empty unless it was asked to
     * report; {@code gradNorm} is NaN when it was not taken; {@code lossScale} is NaN without float16 loss scaling.
     */
    record Outcome(double lr, double loss, double gradNorm, boolean applied, boolean clipped, double lossScale,
            Map<String, Double> updateRatios) {}

    /** @param phases told as each {@link Phase} ends (the profiler's laps) */
    TrainingStep(Task task, TrainingPrecision precision, AdamW optimizer, TrainConfig train, NDManager manager,
            TrainingListener phases) {
        this.task = task;
        this.precision = precision;
        this.optimizer = optimizer;
        this.train = train;
        this.manager = manager;
        this.phases = phases;
        this.schedule = new LrSchedule(train.lr(), train.minLr(), train.warmup(), train.cosineEnd());
    }

    /**
     * Step {@code step} (0-based). Only when {@code reports} does it read the loss from the device and
     * measure the update-to-weight ratios; the gradient norm it takes when clipping or float16 needs
     * it, on reporting steps, and on every step with {@code train.stop_on_nan} (the divergence check).
     * None of these reads changes the update.
     */
    Outcome run(long step, boolean reports) {
        double lr = schedule.at(step);
        double loss = Double.NaN;
        TrainingPrecision.Gradients gradients;
        try (NDScope ignored = new NDScope()) {
            NDArray total = accumulate((s, micro) -> task.trainLoss(precision.store(), manager, s, micro), step,
                    train.gradAccum(), precision.lossScale(), phases);
            gradients = precision.unscale(optimizer, train.gradClip() > 0 || reports || train.stopOnNan());
            if (reports) {
                loss = total.getFloat();
            }
            phases.onPhaseEnd(Phase.CLIP);
        }
        phases.onPhaseEnd(Phase.BOOKKEEPING);
        double clip = GlobalNormClip.factor(gradients.norm(), train.gradClip());
        Map<String, Double> ratios = Map.of();
        if (gradients.apply()) {
            ratios = optimizer.step(lr, clip / gradients.lossScale(), reports);
        }
        phases.onPhaseEnd(Phase.OPTIMIZER);
        return new Outcome(lr, loss, gradients.norm(), gradients.apply(), clip < 1,
                train.lossScaling() ? gradients.lossScale() : Double.NaN, ratios);
    }

    /** One micro-batch's mean loss, recorded for backward. */
    @FunctionalInterface
    interface MicroBatchLoss {
        NDArray loss(long step, int micro);
    }

    /**
     * The loss summed over micro-batches (each scaled by 1/accum), gradients accumulated; backward
     * runs on the loss times {@code lossScale} (float16's loss scaling; 1 otherwise), and the
     * returned loss is unscaled.
     */
    static NDArray accumulate(MicroBatchLoss microLoss, long step, int accum, double lossScale,
            TrainingListener phases) {
        NDArray total = null;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            for (int micro = 0; micro < accum; micro++) {
                NDArray loss = Scalars.over(microLoss.loss(step, micro), accum);
                phases.onPhaseEnd(Phase.FORWARD);
                collector.backward(lossScale == 1 ? loss : Scalars.times(loss, lossScale));
                phases.onPhaseEnd(Phase.BACKWARD);
                NDArray detached = loss.stopGradient();
                total = total == null ? detached : total.add(detached);
            }
        }
        return total;
    }
}
