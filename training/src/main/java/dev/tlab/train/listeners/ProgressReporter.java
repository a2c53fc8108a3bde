package dev.tlab.train.listeners;

import dev.tlab.metrics.ProgressBar;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The console: a progress bar with loss, val loss, lr, rate, gradient norm (and float16 loss scale)
 * and ETA, and the closing summary.
 */
public final class ProgressReporter implements TrainingListener {

    private final PrintWriter console;
    private final ProgressBar bar;
    private final long steps;
    private final long firstStep;
    private double valLoss = Double.NaN;
    private double valBitsPerByte = Double.NaN;

    public ProgressReporter(PrintWriter console, boolean interactive, long steps, long firstStep) {
        this.console = console;
        this.bar = new ProgressBar(console, steps, interactive);
        this.steps = steps;
        this.firstStep = firstStep;
    }

    @Override
    public void onEvaluation(Evaluation evaluation) {
        valLoss = evaluation.valLoss();
        valBitsPerByte = evaluation.metrics().getOrDefault(dev.tlab.train.Task.VAL_BPB, Double.NaN);
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (step.reports()) {
            double eta = step.elapsedSeconds() / (step.step() - firstStep) * (steps - step.step());
            bar.update(step.step(), step.trainLoss(), valLoss, valBitsPerByte, step.lr(), step.tokensPerSecond(),
                    health(step), eta);
        }
    }

    /**
     * The gradient norm ({@code clip} when clipping scaled it) and, in float16, the loss scale and
     * the steps skipped since the last line.
     */
    static String health(StepResult step) {
        StringBuilder out = new StringBuilder();
        if (!Double.isNaN(step.gradNorm())) {
            out.append(String.format(Locale.ROOT, " | gnorm %.3g%s", step.gradNorm(), step.clipped() ? " clip" : ""));
        }
        if (!Double.isNaN(step.lossScale())) {
            out.append(String.format(Locale.ROOT, " | scale %.0f", step.lossScale()));
            if (step.skippedSteps() > 0) {
                out.append(", ").append(step.skippedSteps()).append(" skipped");
            }
        }
        return out.toString();
    }

    @Override
    public void onTrainingEnd(RunEnd end) {
        // After a resume the time is the whole run's, every session of it, with this session's part beside it.
        String time = ProgressBar.duration(end.wallSeconds());
        if (end.firstStep() > 0) {
            time = end.priorSeconds() > 0
                    ? ProgressBar.duration(end.runSeconds()) + " (" + time + " of it since the resume at step " + end.firstStep() + ")"
                    : time + " since the resume at step " + end.firstStep() + " (the time before it was not recorded)";
        }
        console.println(String.format(Locale.ROOT,
                "done: %d steps in %s | train loss %.4f | val loss %.4f | %,.0f tokens/s in training steps, %,.0f overall",
                end.steps(), time, end.trainLoss(), end.last().valLoss(),
                end.trainTokensPerSecond(), end.overallTokensPerSecond()));
        end.last().metrics().forEach((key, value) -> console.println(String.format(Locale.ROOT, "%s: %.4f", key, value)));
        console.flush();
    }
}
