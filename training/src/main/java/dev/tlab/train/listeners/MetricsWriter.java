package dev.tlab.train.listeners;

import dev.tlab.metrics.MetricsLog;
import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code metrics.jsonl}: a row at every reporting step, with the step's evaluation if it had one and
 * its health signals.
 */
public final class MetricsWriter extends ReportListener implements AutoCloseable {

    public static final String FILE = "metrics.jsonl";

    private final MetricsLog log;

    /** Continues the file of a run resumed at {@code firstStep}, dropping rows logged after it. */
    public MetricsWriter(Path runDir, long firstStep) {
        this.log = MetricsLog.continuing(runDir.resolve(FILE), firstStep);
    }

    @Override
    protected void onReport(StepResult step, Evaluation evaluated) {
        log.write(step.step(), step.lr(), step.trainLoss(), evaluated == null ? Double.NaN : evaluated.valLoss(),
                step.tokensPerSecond(), step.elapsedSeconds(), evaluated == null ? Map.of() : evaluated.metrics(),
                health(step));
    }

    /**
     * The step's health signals as {@code metrics.jsonl} names them: {@code grad_norm} and {@code
     * clipped}, {@code update_ratio_<group>}, and in float16 {@code loss_scale} and {@code skipped_steps}.
     */
    static Map<String, Object> health(StepResult step) {
        Map<String, Object> health = new LinkedHashMap<>();
        if (!Double.isNaN(step.gradNorm())) {
            health.put("grad_norm", step.gradNorm());
            health.put("clipped", step.clipped());
        }
        step.updateRatios().forEach((group, ratio) -> health.put("update_ratio_" + group, ratio));
        if (!Double.isNaN(step.lossScale())) {
            health.put("loss_scale", step.lossScale());
            health.put("skipped_steps", step.skippedSteps());
        }
        return health;
    }

    @Override
    public void close() {
        log.close();
    }
}
