package dev.tlab.train;

import java.util.Map;

/**
 * What one optimizer step did.
 *
 * @param step steps completed, this one included
 * @param lr the learning rate it used
 * @param trainLoss its loss (the mean over micro-batches), read from the device only when {@code
 *     reports}; NaN otherwise
 * @param gradNorm the unscaled global gradient norm before clipping when it was taken (clipping,
 *     float16, {@code train.stop_on_nan}, or a reporting step), else NaN
 * @param applied false when float16 overflow skipped the update
 * @param reports whether this step logs or evaluates (train loss and throughput are filled in)
 * @param tokensSeen training tokens consumed by the run so far
 * @param tokensPerSecond training tokens per second since the last reporting step (NaN unless {@code reports})
 * @param elapsedSeconds wall time since this trainer started its first step
 * @param clipped whether global-norm clipping scaled this step's gradients (norm above {@code train.grad_clip})
 * @param lossScale the float16 loss scale this step used; NaN in float32 and bfloat16
 * @param skippedSteps float16 steps skipped for overflow since the previous reporting step, this one
 *     included (0 unless {@code reports})
 * @param updateRatios per AdamW group ({@code decay}, {@code no_decay}): ||w_after - w_before|| /
 *     ||w_before|| of this step's update; measured on reporting steps only, else empty
 * @param stepSeconds mean wall time of a training step since the last reporting step (NaN unless {@code reports})
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
        double elapsedSeconds,
        boolean clipped,
        double lossScale,
        int skippedSteps,
        Map<String, Double> updateRatios,
        double stepSeconds) {

    public StepResult {
        updateRatios = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(updateRatios));
    }

    /** A step without health figures (tests and tools that drive listeners by hand). */
    public StepResult(long step, double lr, double trainLoss, double gradNorm, boolean applied, boolean reports,
            long tokensSeen, double tokensPerSecond, double elapsedSeconds) {
        this(step, lr, trainLoss, gradNorm, applied, reports, tokensSeen, tokensPerSecond, elapsedSeconds, false,
                Double.NaN, 0, Map.of(), Double.NaN);
    }
}
