package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {

    @Test
    void aLinePerReportingStepWithTheLatestValLossThenTheSummary() {
        var text = new StringWriter();
        var reporter = new ProgressReporter(new PrintWriter(text), false, 10, 0);
        reporter.onStepEnd(Events.step(1, true));
        reporter.onStepEnd(Events.step(2, false));
        reporter.onEvaluation(Events.evaluation(5, 1.75));
        reporter.onStepEnd(Events.step(5, true));
        reporter.onStepEnd(Events.step(6, true));
        Evaluation last = new Evaluation(10, 640, 1.5, Map.of("exact_match", 0.25));
        reporter.onTrainingEnd(new RunEnd(10, 0, 64, 2, 4, 0.1, last));
        String[] lines = text.toString().split("\n");
        assertEquals(5, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("step  1/10 [==>") && !lines[0].contains("val"), lines[0]);
        assertTrue(lines[1].contains("step  5/10") && lines[1].contains("val 1.7500"), lines[1]);
        assertTrue(lines[2].contains("val 1.7500"), "the latest val loss stays on the bar: " + lines[2]);
        // 10 steps * 64 tokens in 2 s of steps, 4 s in all.
        assertTrue(lines[3].startsWith("done: 10 steps in 4s | train loss 0.1000 | val loss 1.5000 | 320 tokens/s"), lines[3]);
        assertTrue(lines[3].endsWith("160 overall"), lines[3]);
        assertEquals("exact_match: 0.2500", lines[4]);
    }

    @Test
    void afterAResumeTheTimeIsTheWholeRunsWithThisSessionsPartBesideIt() {
        Evaluation last = new Evaluation(10, 640, 1.5, Map.of());
        var text = new StringWriter();
        // Steps 7-10 in 4 s now; steps 1-6 took 100 s in the sessions before.
        new ProgressReporter(new PrintWriter(text), false, 10, 6).onTrainingEnd(new RunEnd(10, 6, 64, 2, 4, 0.1, last, 100));
        assertTrue(text.toString().startsWith("done: 10 steps in 1m44s (4s of it since the resume at step 6) | train loss"),
                text.toString());
        var old = new StringWriter();
        new ProgressReporter(new PrintWriter(old), false, 10, 6).onTrainingEnd(new RunEnd(10, 6, 64, 2, 4, 0.1, last, 0));
        assertTrue(old.toString().startsWith("done: 10 steps in 4s since the resume at step 6 (the time before it was not"
                + " recorded) | "), old.toString());
    }

    @Test
    void aSlowFirstStepGetsALineSayingItIsRunning() throws InterruptedException {
        var text = new StringWriter();
        var reporter = new ProgressReporter(new PrintWriter(text), false, 10, 0, 0.05);
        reporter.onStepStart(0);
        for (int waited = 0; !text.toString().contains("is running") && waited < 200; waited++) {
            Thread.sleep(50);
        }
        reporter.onStepEnd(Events.step(1, true));
        String[] lines = text.toString().split("\n");
        assertEquals("step 1/10 is running (the first step of a session also sets up libtorch's kernels and buffers;"
                + " the bar follows once it is done)", lines[0]);
        assertTrue(lines[1].startsWith("step  1/10 ["), lines[1]);
    }

    @Test
    void aQuickFirstStepGetsNoSuchLine() throws InterruptedException {
        var text = new StringWriter();
        var reporter = new ProgressReporter(new PrintWriter(text), false, 10, 0, 2);
        reporter.onStepStart(0);
        reporter.onStepEnd(Events.step(1, true));
        Thread.sleep(2500);
        assertEquals(1, text.toString().lines().count(), text.toString());
    }
}
