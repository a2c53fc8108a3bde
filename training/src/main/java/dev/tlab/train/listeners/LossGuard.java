package dev.tlab.train.listeners;

import dev.tlab.config.TrainConfig;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import dev.tlab.train.TrainingStopped;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Watches the loss for divergence. A loss (or gradient norm) that is NaN or infinite on a step whose
 * update was applied is a warning, once, naming the step; with {@code train.stop_on_nan} it stops
 * the run instead, before any later listener writes a checkpoint of the broken weights, so the
 * newest complete checkpoint stays the last good one (exit code {@link #EXIT_CODE}). A logged loss
 * above mean + {@value #SPIKE_SDS} standard deviations of the last {@value #WINDOW} logged losses,
 * and at least {@value #SPIKE_SHARE} times their mean (so the noise of a flat curve is not a spike;
 * once at least {@value #MIN_HISTORY} are in) is a spike: a warning, once, never a stop.
 *
 * <p>It must hear steps before the {@link CheckpointWriter}.
 */
public final class LossGuard implements TrainingListener {

    /** The process exit code of a run stopped by a non-finite loss. */
    public static final int EXIT_CODE = 3;

    static final int WINDOW = 50;
    static final int MIN_HISTORY = 10;
    static final double SPIKE_SDS = 4;
    static final double SPIKE_SHARE = 1.1;

    private final boolean stopOnNan;
    private final boolean normEveryStep;
    private final Consumer<String> warn;
    private final Supplier<Path> lastGood;
    private final String continueWith;
    private final Deque<Double> recent = new ArrayDeque<>();
    private boolean warnedNonFinite;
    private boolean warnedSpike;

    /**
     * @param warn prints a warning line
     * @param lastGood names the newest complete checkpoint, for the stop's message (null: none)
     * @param continueWith the command that continues from it
     */
    public LossGuard(TrainConfig train, Consumer<String> warn, Supplier<Path> lastGood, String continueWith) {
        this.stopOnNan = train.stopOnNan();
        // The trainer takes the gradient norm on every step for these (see TrainingStep.run).
        this.normEveryStep = train.gradClip() > 0 || train.lossScaling() || train.stopOnNan();
        this.warn = warn;
        this.lastGood = lastGood;
        this.continueWith = continueWith;
    }

    @Override
    public void onStepEnd(StepResult step) {
        // A float16 step with an overflow is skipped, not diverged: the loss scaler deals with it.
        boolean normTaken = normEveryStep || step.reports();
        boolean nonFinite = step.applied() && (step.reports() && !Double.isFinite(step.trainLoss())
                || normTaken && !Double.isFinite(step.gradNorm()));
        if (nonFinite) {
            String what = Double.isFinite(step.trainLoss()) || !step.reports() ? "gradient norm is " + step.gradNorm()
                    : "loss is " + step.trainLoss();
            if (stopOnNan) {
                throw TrainingStopped.diverged(EXIT_CODE, step.step(), what, lastGood.get(), continueWith);
            }
            if (!warnedNonFinite) {
                warnedNonFinite = true;
                warn.accept("warning: " + what + " at step " + step.step()
                        + "; training goes on (train.stop_on_nan: true stops the run instead)");
            }
            return;
        }
        if (step.reports()) {
            checkSpike(step);
        }
    }

    private void checkSpike(StepResult step) {
        double loss = step.trainLoss();
        if (recent.size() >= MIN_HISTORY && !warnedSpike) {
            double mean = recent.stream().mapToDouble(Double::doubleValue).average().orElse(loss);
            double variance = recent.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (recent.size() - 1);
            double threshold = Math.max(mean + SPIKE_SDS * Math.sqrt(variance), SPIKE_SHARE * mean);
            if (loss > threshold) {
                warnedSpike = true;
                warn.accept(String.format(Locale.ROOT,
                        "warning: loss spiked to %.4f at step %d (above %.4f: the last %d logged losses' mean %.4f + %.0f sd,"
                                + " and at least %.0f%% of it); lowering train.lr or train.grad_clip may help", loss,
                        step.step(), threshold, recent.size(), mean, SPIKE_SDS, 100 * SPIKE_SHARE));
            }
        }
        recent.addLast(loss);
        if (recent.size() > WINDOW) {
            recent.removeFirst();
        }
    }
}
