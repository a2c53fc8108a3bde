package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingStopped;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossGuardTest {

    private final List<String> warnings = new ArrayList<>();

    private LossGuard guard(String... overrides) {
        return new LossGuard(Events.train(overrides), warnings::add, () -> Path.of("run/checkpoints/step-000004"),
                "tlab resume run");
    }

    private static StepResult loss(long step, double loss) {
        return new StepResult(step, 1e-3, loss, 1.0, true, true, 64 * step, 1000, step);
    }

    @Test
    void aNonFiniteLossWarnsOnceNamingTheStep() {
        LossGuard guard = guard();
        guard.onStepEnd(loss(1, 2.0));
        guard.onStepEnd(loss(2, Double.NaN));
        guard.onStepEnd(loss(3, Double.POSITIVE_INFINITY));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("warning: loss is NaN at step 2;"), warnings.get(0));
        assertTrue(warnings.get(0).contains("train.stop_on_nan"), warnings.get(0));
    }

    @Test
    void withStopOnNanItStopsNamingTheStepAndTheLastGoodCheckpoint() {
        LossGuard guard = guard("train.stop_on_nan=true");
        guard.onStepEnd(loss(4, 2.0));
        // A step that does not log: the gradient norm, taken every step, gives it away.
        var diverged = new StepResult(5, 1e-3, Double.NaN, Double.NaN, true, false, 320, Double.NaN, 5);
        TrainingStopped stop = assertThrows(TrainingStopped.class, () -> guard.onStepEnd(diverged));
        assertEquals(LossGuard.EXIT_CODE, stop.exitCode());
        assertEquals(5, stop.step());
        assertEquals(Path.of("run/checkpoints/step-000004"), stop.checkpoint());
        assertEquals("stopped by train.stop_on_nan at step 5 (gradient norm is NaN); no checkpoint of it written;"
                + " newest complete checkpoint run/checkpoints/step-000004; continue with: tlab resume run"
                + " (with a lower train.lr, say)", stop.getMessage());
        assertTrue(warnings.isEmpty());
    }

    @Test
    void aSkippedFloat16StepIsNotADivergence() {
        LossGuard guard = guard("train.stop_on_nan=true", "train.precision=fp16");
        guard.onStepEnd(new StepResult(3, 1e-3, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, false, true, 64,
                1000, 1));
        assertTrue(warnings.isEmpty());
    }

    @Test
    void aNormNotTakenIsNoSignal() {
        // float32 without clipping takes the norm on logging steps only; elsewhere it is NaN for "not taken".
        LossGuard guard = guard("train.grad_clip=0");
        guard.onStepEnd(new StepResult(3, 1e-3, Double.NaN, Double.NaN, true, false, 64, Double.NaN, 1));
        assertTrue(warnings.isEmpty());
    }

    @Test
    void aSpikeAboveFourDeviationsAndTenPercentOfTheRecentLossesWarnsOnce() {
        LossGuard guard = guard();
        for (int s = 1; s <= 20; s++) {
            guard.onStepEnd(loss(s, 2.0 + 0.01 * (s % 3)));
        }
        guard.onStepEnd(loss(21, 2.15));
        assertTrue(warnings.isEmpty(), "above mean + 4 sd of a flat curve, but within 10% of it: " + warnings);
        guard.onStepEnd(loss(22, 3.0));
        guard.onStepEnd(loss(23, 3.5));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("warning: loss spiked to 3.0000 at step 22 (above 2."), warnings.get(0));
    }
}
