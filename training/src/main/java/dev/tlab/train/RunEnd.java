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
 * @param priorSeconds wall time of the run's steps before this trainer's first step (a resumed run's
 *     earlier sessions, up to the checkpoint it resumed from); 0 for a new run or when not recorded
 */
public record RunEnd(
        long steps, long firstStep, long tokensPerStep, double trainSeconds, double wallSeconds, double trainLoss,
        Evaluation last, double priorSeconds) {

    /** A run that did not resume: nothing before its first step. */
    public RunEnd(long steps, long firstStep, long tokensPerStep, double trainSeconds, double wallSeconds,
            double trainLoss, Evaluation last) {
        this(steps, firstStep, tokensPerStep, trainSeconds, wallSeconds, trainLoss, last, 0);
    }

    /** Wall time of the whole run, every session of it, when known; else this session's. */
    public double runSeconds() {
        return priorSeconds + wallSeconds;
    }

    /** Tokens per second in training steps alone. */
    public double trainTokensPerSecond() {
        return (steps - firstStep) * tokensPerStep / trainSeconds;
    }

    /** Tokens per second of wall time, evaluation and checkpoints included. */
    public double overallTokensPerSecond() {
        return (steps - firstStep) * tokensPerStep / wallSeconds;
    }
}
