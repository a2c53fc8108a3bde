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
public final class LossPlotter extends ReportListener {

    public static final String FILE = "loss.png";

    private final Path file;
    private final LossPlot plot;

    /** A resumed run's plot starts with the curve logged before {@code firstStep}. */
    public LossPlotter(Path runDir, String title, long firstStep) {
        this.file = runDir.resolve(FILE);
        this.plot = new LossPlot(title);
        MetricsLog.rows(runDir.resolve(MetricsWriter.FILE), firstStep).forEach(plot::addRow);
    }

    @Override
    protected void onReport(StepResult step, Evaluation evaluated) {
        plot.add("train", step.step(), step.trainLoss());
        if (evaluated != null) {
            plot.add("val", step.step(), evaluated.valLoss());
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
