package dev.tlab.train.listeners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.tlab.config.TrainConfig;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import dev.tlab.train.Task;
import dev.tlab.train.TrainingListener;
import java.util.Map;

/**
 * Evaluates every {@code train.eval_every} steps and after the last, and tells {@code audience}
 * (the run's listeners) what it found.
 */
public final class Evaluator implements TrainingListener {

    private final Task task;
    private final TrainingPrecision precision;
    private final NDManager manager;
    private final TrainConfig train;
    private final TrainingListener audience;
    private Evaluation last;

    public Evaluator(Task task, TrainingPrecision precision, NDManager manager, TrainConfig train,
            TrainingListener audience) {
        this.task = task;
        this.precision = precision;
        this.manager = manager;
        this.train = train;
        this.audience = audience;
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (!train.evaluates(step.step())) {
            return;
        }
        double valLoss = valLoss(task, precision, manager, train.evalBatches());
        Map<String, Double> metrics = task.evalMetrics(precision.store(), manager, valLoss);
        precision.endStep();
        last = new Evaluation(step.step(), step.tokensSeen(), valLoss, metrics);
        audience.onEvaluation(last);
    }

    /** The latest evaluation, or null before the first. */
    public Evaluation last() {
        return last;
    }

    /** Mean validation loss over a fixed set of batches, so evaluations are comparable across steps. */
    public static double valLoss(Task task, TrainingPrecision precision, NDManager manager, int batches) {
        try (NDScope ignored = new NDScope()) {
            NDArray sum = null;
            for (int i = 0; i < batches; i++) {
                NDArray loss = task.valLoss(precision.store(), manager, i);
                sum = sum == null ? loss : sum.add(loss);
            }
            return sum.getFloat() / batches;
        }
    }
}
