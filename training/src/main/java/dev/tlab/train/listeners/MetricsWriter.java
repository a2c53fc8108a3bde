package dev.tlab.train.listeners;

import dev.tlab.metrics.MetricsLog;
import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.nio.file.Path;
import java.util.Map;

/** {@code metrics.jsonl}: a row at every reporting step, with the step's evaluation if it had one. */
public final class MetricsWriter implements TrainingListener, AutoCloseable {

    public static final String FILE = "metrics.jsonl";

    private final MetricsLog log;
    private Evaluation evaluation;

    /** Continues the file of a run resumed at {@code firstStep}, dropping rows logged after it. */
    public MetricsWriter(Path runDir, long firstStep) {
        this.log = MetricsLog.continuing(runDir.resolve(FILE), firstStep);
    }

    @Override
    public void onEvaluation(Evaluation evaluation) {
        this.evaluation = evaluation;
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (!step.reports()) {
            return;
        }
        Evaluation evaluated = Evaluation.of(step, evaluation);
        log.write(step.step(), step.lr(), step.trainLoss(), evaluated == null ? Double.NaN : evaluated.valLoss(),
                step.tokensPerSecond(), step.elapsedSeconds(), evaluated == null ? Map.of() : evaluated.metrics());
    }

    @Override
    public void close() {
        log.close();
    }
}
