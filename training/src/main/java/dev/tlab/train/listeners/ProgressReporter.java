package dev.tlab.train.listeners;

import dev.tlab.metrics.ProgressBar;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The console: a progress bar with loss, val loss, lr, rate, gradient norm (and float16 loss scale)
 * and ETA, and the closing summary. A first step that takes longer than {@link #FIRST_STEP_NOTICE_SECONDS}
 * (a large model: libtorch sets up its kernels and buffers then) gets a line saying it is running.
 */
public final class ProgressReporter implements TrainingListener {

    /** How long the first step may run before a line says it is running. */
    static final double FIRST_STEP_NOTICE_SECONDS = 5;

    private final PrintWriter console;
    private final ProgressBar bar;
    private final double noticeAfter;
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> notice;
    private final long steps;
    private final long firstStep;
    private double valLoss = Double.NaN;
    private double valBitsPerByte = Double.NaN;

    public ProgressReporter(PrintWriter console, boolean interactive, long steps, long firstStep) {
        this(console, interactive, steps, firstStep, FIRST_STEP_NOTICE_SECONDS);
    }

    /** @param noticeAfter seconds the first step runs before a line says so */
    ProgressReporter(PrintWriter console, boolean interactive, long steps, long firstStep, double noticeAfter) {
        this.noticeAfter = noticeAfter;
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
    public void onStepStart(long step) {
        if (step != firstStep) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "first-step-notice");
            thread.setDaemon(true);
            return thread;
        });
        notice = timer.schedule(() -> {
            synchronized (console) {
                console.println(String.format(Locale.ROOT, "step %d/%d is running (the first step of a session also"
                        + " sets up libtorch's kernels and buffers; the bar follows once it is done)", step + 1, steps));
                console.flush();
            }
        }, Math.round(noticeAfter * 1000), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (timer != null) {
            notice.cancel(false);
            timer.shutdown();
            timer = null;
        }
        if (step.reports()) {
            double eta = step.elapsedSeconds() / (step.step() - firstStep) * (steps - step.step());
            synchronized (console) { // not in the middle of the first step's notice
                bar.update(step.step(), step.trainLoss(), valLoss, valBitsPerByte, step.lr(), step.tokensPerSecond(),
                        health(step), eta);
            }
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
