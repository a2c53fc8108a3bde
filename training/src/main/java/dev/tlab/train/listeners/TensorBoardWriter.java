package dev.tlab.train.listeners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import dev.tlab.metrics.MetricsLog;
import dev.tlab.metrics.tensorboard.EventFile;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * TensorBoard event files ({@code metrics.tensorboard}): at every reporting step the scalars of
 * {@code metrics.jsonl} (train and val loss, the evaluation's figures such as bits per byte, lr,
 * tokens/s, step time) and the health signals (gradient norm, clipping, update-to-weight ratios,
 * float16 loss scale and skipped steps); the resolved config as text at the first step this
 * process trains, and the end-of-run samples as text at the last ({@link #samplesAtEnd}). Non-finite values are left out, as in {@code metrics.jsonl}. A resumed run
 * first logs the rows of {@code metrics.jsonl} up to its checkpoint that no event file holds, so
 * that every step of that file is in TensorBoard exactly once.
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
            logMissedSteps(runDir.resolve(MetricsWriter.FILE), firstStep);
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

    /**
     * Writes the end-of-run samples as text: added after {@link SampleWriter}, while this writer
     * itself hears the steps before the checkpoint writer does.
     */
    public TrainingListener samplesAtEnd() {
        return new TrainingListener() {
            @Override
            public void onTrainingEnd(RunEnd end) {
                String text = samples.get();
                if (!text.isEmpty()) {
                    events.text(clock.getAsDouble(), end.steps(), "samples", codeBlock(text));
                }
            }
        };
    }

    /**
     * Rows of {@code metrics.jsonl} up to the resumed checkpoint that no event file holds (a process
     * killed after a checkpoint but before its events were written, or a run that had TensorBoard
     * off), from the rows themselves: only those after the newest step logged, since TensorBoard
     * discards what it loaded after a step that comes out of order. The step time is not in the
     * rows, so such steps have none.
     */
    private void logMissedSteps(Path metricsFile, long firstStep) {
        long newest = events.newestScalarStep();
        for (JsonNode row : MetricsLog.rows(metricsFile, firstStep)) {
            long step = row.path("step").asLong();
            if (step > newest) {
                events.scalars(clock.getAsDouble(), step, scalars(row));
                newest = step;
            }
        }
    }

    /** A {@code metrics.jsonl} row under the tags {@link #onReport} gives its values. */
    static Map<String, Double> scalars(JsonNode row) {
        Map<String, Double> values = new LinkedHashMap<>();
        putRow(values, "loss/train", row.get("train_loss"));
        putRow(values, "loss/val", row.get("val_loss"));
        row.fields().forEachRemaining(field -> {
            if (!ROW_FIELDS.contains(field.getKey()) && !isHealth(field.getKey())) {
                putRow(values, "eval/" + field.getKey(), field.getValue());
            }
        });
        putRow(values, "train/lr", row.get("lr"));
        putRow(values, "train/tokens_per_s", row.get("tokens_per_s"));
        row.fields().forEachRemaining(field -> {
            if (isHealth(field.getKey())) {
                JsonNode value = field.getValue();
                putRow(values, "health/" + field.getKey(), value.isBoolean() ? DoubleNode.valueOf(value.asBoolean() ? 1 : 0) : value);
            }
        });
        return values;
    }

    private static final Set<String> ROW_FIELDS = Set.of("step", "lr", "train_loss", "val_loss", "tokens_per_s", "elapsed_s");

    private static boolean isHealth(String field) {
        return field.equals("grad_norm") || field.equals("clipped") || field.startsWith("update_ratio_")
                || field.equals("loss_scale") || field.equals("skipped_steps");
    }

    private static void putRow(Map<String, Double> values, String tag, JsonNode value) {
        if (value != null && value.isNumber()) {
            put(values, tag, value.doubleValue());
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
