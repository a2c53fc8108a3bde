package dev.tlab.train.listeners;

import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;

/**
 * A listener that writes on reporting steps only ({@code train.log_every}), with the evaluation
 * made at that step when there is one: what the metrics file, the plot and TensorBoard share.
 */
abstract class ReportListener implements TrainingListener {

    private Evaluation latest;

    @Override
    public final void onEvaluation(Evaluation evaluation) {
        latest = evaluation;
    }

    @Override
    public final void onStepEnd(StepResult step) {
        if (step.reports()) {
            onReport(step, Evaluation.of(step, latest));
        }
    }

    /** @param evaluation this step's evaluation, or null when the step had none */
    protected abstract void onReport(StepResult step, Evaluation evaluation);
}
