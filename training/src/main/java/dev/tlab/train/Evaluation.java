package dev.tlab.train;

import java.util.Map;

/**
 * One validation pass.
 *
 * @param step steps completed when it ran
 * @param tokensSeen training tokens consumed by then
 * @param valLoss mean loss over the fixed validation batches
 * @param metrics the task's extra figures, e.g. {@code exact_match}
 */
public record Evaluation(long step, long tokensSeen, double valLoss, Map<String, Double> metrics) {

    /** {@code latest} if it ran after {@code step}, else null: listeners that report a step with its evaluation. */
    public static Evaluation of(StepResult step, Evaluation latest) {
        return latest != null && latest.step == step.step() ? latest : null;
    }
}
