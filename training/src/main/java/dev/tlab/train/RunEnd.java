package dev.tlab.train;

/**
 * How a run ended.
 *
 * @param steps the run's last step ({@code train.steps})
 * @param firstStep the step this trainer started from (nonzero after a resume)
 * @param tokensPerStep training tokens one step consumes
 * @param trainSeconds time spent in training steps (evaluation and checkpoints excluded)
 * @param wallSeconds wall time from the first step to the end
 * @param trainLoss the last step's loss
 * @param last the last evaluation (every run ends with one)
 */
public record RunEnd(
        long steps, long firstStep, long tokensPerStep, double trainSeconds, double wallSeconds, double trainLoss,
        Evaluation last) {

    /** Tokens per second in training steps alone. */
    public double trainTokensPerSecond() {
        return (steps - firstStep) * tokensPerStep / trainSeconds;
    }

    /** Tokens per second of wall time, evaluation and checkpoints included. */
    public double overallTokensPerSecond() {
        return (steps - firstStep) * tokensPerStep / wallSeconds;
    }
}
