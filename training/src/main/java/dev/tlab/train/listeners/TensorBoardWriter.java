package dev.tlab.train.listeners;

import dev.tlab.metrics.tensorboard.EventFile;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * TensorBoard event files ({@code metrics.tensorboard}): at every reporting step the scalars of
 * {@code metrics.jsonl} (train and val loss, the evaluation's figures such as bits per byte, lr,
 * tokens/s, step time) and the health signals (gradient norm, clipping, update-to-weight ratios,
 * float16 loss scale and skipped steps); the resolved config as text at the first step this
 * process trains, and the end-of-run samples as text at the last (so it hears the run's end after
 * {@link SampleWriter}). Non-finite values are left out, as in {@code metrics.jsonl}.
 */
public final class TensorBoardWriter extends ReportListener implements AutoCloseable {

    private final EventFile events;
    private final DoubleSupplier clock;
    private final java.util.function.Supplier<String> samples;

    /**
     * @param firstStep the step the run starts from (a resume's checkpoint step; 0 for a new run)
     * @param configYaml the resolved config, shown as text
     * @param samples the end-of-run samples, read when the run ends (empty: none)
     * @param clock wall time in seconds since the epoch
     */
    public TensorBoardWriter(Path runDir, long firstStep, String configYaml, java.util.function.Supplier<String> samples,
            DoubleSupplier clock, String host) {
        this.clock = clock;
        this.samples = samples;
        this.events = new EventFile(runDir, firstStep, clock.getAsDouble(), host);
        if (firstStep > 0) {
            events.sessionStart(clock.getAsDouble(), firstStep + 1);
        }
        events.text(clock.getAsDouble(), firstStep + 1, "config", codeBlock(configYaml));
    }

    /** Wall-clock time and this machine's name. */
    public static TensorBoardWriter of(Path runDir, long firstStep, String configYaml,
            java.util.function.Supplier<String> samples) {
        return new TensorBoardWriter(runDir, firstStep, configYaml, samples, () -> System.currentTimeMillis() / 1000.0,
                EventFile.hostName());
    }

    @Override
    protected void onReport(StepResult step, Evaluation evaluated) {
        Map<String, Double> values = new LinkedHashMap<>();
        put(values, "loss/train", step.trainLoss());
        if (evaluated != null) {
            put(values, "loss/val", evaluated.valLoss());
            evaluated.metrics().forEach((key, value) -> put(values, "eval/" + key, value));
        }
        put(values, "train/lr", step.lr());
        put(values, "train/tokens_per_s", step.tokensPerSecond());
        put(values, "train/step_time_s", step.stepSeconds());
        put(values, "health/grad_norm", step.gradNorm());
        if (!Double.isNaN(step.gradNorm())) {
            values.put("health/clipped", step.clipped() ? 1.0 : 0.0);
        }
        step.updateRatios().forEach((group, ratio) -> put(values, "health/update_ratio_" + group, ratio));
        if (!Double.isNaN(step.lossScale())) {
            values.put("health/loss_scale", step.lossScale());
            values.put("health/skipped_steps", (double) step.skippedSteps());
        }
        events.scalars(clock.getAsDouble(), step.step(), values);
    }

    @Override
    public void onTrainingEnd(RunEnd end) {
        String text = samples.get();
        if (!text.isEmpty()) {
            events.text(clock.getAsDouble(), end.steps(), "samples", codeBlock(text));
        }
    }

    /** Metrics as {@code metrics.jsonl} has them: a value that is not finite is left out. */
    private static void put(Map<String, Double> values, String tag, double value) {
        if (Double.isFinite(value)) {
            values.put(tag, value);
        }
    }

    /** Text as a Markdown code block, so the plugin keeps its line breaks and indentation. */
    static String codeBlock(String text) {
        return "```\n" + text.stripTrailing() + "\n```";
    }

    public Path path() {
        return events.path();
    }

    @Override
    public void close() {
        events.close();
    }
}
