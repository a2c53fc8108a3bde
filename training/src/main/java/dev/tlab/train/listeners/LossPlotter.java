package dev.tlab.train.listeners;

import dev.tlab.metrics.LossPlot;
import dev.tlab.metrics.MetricsLog;
import dev.tlab.metrics.Plots;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.nio.file.Path;
import java.util.function.Consumer;

/** {@code loss.png}: train and val curves, redrawn after evaluations and at the end. */
public final class LossPlotter implements TrainingListener {

    public static final String FILE = "loss.png";

    private final Path file;
    private final LossPlot plot;
    private Evaluation evaluation;

    /** A resumed run's plot starts with the curve logged before {@code firstStep}. */
    public LossPlotter(Path runDir, String title, long firstStep) {
        this.file = runDir.resolve(FILE);
        this.plot = new LossPlot(title);
        MetricsLog.rows(runDir.resolve(MetricsWriter.FILE), firstStep).forEach(plot::addRow);
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
        plot.add("train", step.step(), step.trainLoss());
        if (Evaluation.of(step, evaluation) != null) {
            plot.add("val", step.step(), evaluation.valLoss());
            plot.refresh(file);
        }
    }

    @Override
    public void onTrainingEnd(RunEnd end) {
        plot.write(file);
    }

    /** The plotter, or a listener that says once at the end why there is no plot. */
    public static TrainingListener orNote(Path runDir, String title, long firstStep, Consumer<String> say) {
        if (Plots.supported()) {
            return new LossPlotter(runDir, title, firstStep);
        }
        return new TrainingListener() {
            @Override
            public void onTrainingEnd(RunEnd end) {
                say.accept(Plots.MISSING);
            }
        };
    }
}
