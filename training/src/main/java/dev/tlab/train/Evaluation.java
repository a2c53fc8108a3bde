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
public record Evaluation(long step, long tokensSeen, double valLoss, Map<String, Double> metrics) {}
