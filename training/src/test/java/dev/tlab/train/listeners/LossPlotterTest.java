package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tlab.metrics.Plots;
import dev.tlab.train.RunEnd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotterTest {

    @TempDir
    Path dir;

    @Test
    void drawsAfterAnEvaluationAndAtTheEnd() throws Exception {
        assumeTrue(Plots.supported());
        Path png = dir.resolve(LossPlotter.FILE);
        var plotter = new LossPlotter(dir, "test", 0);
        plotter.onStepEnd(Events.step(1, true));
        assertFalse(Files.exists(png), "no evaluation yet");
        plotter.onEvaluation(Events.evaluation(2, 1.5));
        plotter.onStepEnd(Events.step(2, true));
        assertTrue(Files.size(png) > 0, "drawn after the evaluation");
        Files.delete(png);
        plotter.onTrainingEnd(new RunEnd(2, 0, 64, 1, 1, 0.02, Events.evaluation(2, 1.5)));
        assertTrue(Files.size(png) > 0, "drawn at the end");
    }

    @Test
    void withoutJavaDesktopItSaysWhyThereIsNoPlot() {
        StringBuilder said = new StringBuilder();
        var listener = LossPlotter.orNote(dir, "test", 0, said::append);
        listener.onTrainingEnd(new RunEnd(2, 0, 64, 1, 1, 0.02, Events.evaluation(2, 1.5)));
        if (Plots.supported()) {
            assertTrue(listener instanceof LossPlotter);
            assertTrue(said.isEmpty());
        } else {
            assertTrue(said.toString().contains("plots skipped"), said.toString());
        }
    }
}
