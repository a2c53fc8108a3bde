package dev.tlab.train;

/**
 * What one optimizer step did.
 *
 * @param step steps completed, this one included
 * @param lr the learning rate it used
 * @param trainLoss its loss (the mean over micro-batches), read from the device only when {@code
 *     reports}; NaN otherwise
 * @param gradNorm the unscaled global gradient norm when it was taken (clipping or float16), else 0
 * @param applied false when float16 overflow skipped the update
 * @param reports whether this step logs or evaluates (train loss and throughput are filled in)
 * @param tokensSeen training tokens consumed by the run so far
 * @param tokensPerSecond training tokens per second since the last reporting step (NaN unless {@code reports})
 * @param elapsedSeconds wall time since this trainer started its first step
 */
public record StepResult(
        long step,
        double lr,
        double trainLoss,
        double gradNorm,
        boolean applied,
        boolean reports,
        long tokensSeen,
        double tokensPerSecond,
        double elapsedSeconds) {}
