package dev.tlab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.positional.PositionalKind;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContextEvalTest {

    @TempDir Path dir;

    private Trainer.Result train(String positional) {
        RunConfig run = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(
                "output.dir=" + dir, "name=" + positional, "train.device=cpu", "model.positional=" + positional,
                "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=16", "train.batch_size=4",
                "train.steps=8", "train.warmup=1", "train.eval_every=8", "train.eval_batches=3", "sample.tokens=0"));
        return new Trainer(run, null, false).fit();
    }

    @Test
    void trainingContextReproducesTheTrainersValLossAndLongerContextsAreScored() {
        Trainer.Result result = train("rope");
        ContextEval.Evaluation eval = ContextEval.evaluate(result.runDir(), List.of(16, 32, 64), 0, Device.cpu(), null);
        assertEquals(16, eval.trainedContext());
        assertEquals(PositionalKind.ROPE, eval.positional());
        assertEquals(8, eval.step());
        assertEquals(3, eval.losses().size());
        // Same windows as the trainer's evaluation, so the same loss.
        assertEquals(result.valLoss(), eval.losses().get(0).valLoss(), 1e-4);
        for (ContextEval.ContextLoss loss : eval.losses()) {
            assertTrue(loss.available(), loss.toString());
            assertTrue(loss.valLoss() > 0 && loss.valLoss() < 6, loss.toString());
        }
        assertTrue(eval.losses().get(1).valLoss() != eval.losses().get(0).valLoss(), "a longer context sees other windows");
    }

    @Test
    void learnedPositionsPastTheirTableAreReportedNotCrashed() {
        Trainer.Result result = train("learned");
        ContextEval.Evaluation eval = ContextEval.evaluate(result.runDir(), List.of(8, 16, 17, 64), 2, Device.cpu(), null);
        assertTrue(eval.losses().get(0).available() && eval.losses().get(1).available());
        for (ContextEval.ContextLoss loss : eval.losses().subList(2, 4)) {
            assertFalse(loss.available());
            assertTrue(Double.isNaN(loss.valLoss()));
            assertTrue(loss.unavailable().contains("learned positions have a table of 16 rows (model.context)"), loss.unavailable());
        }
    }

    @Test
    void nonsenseContextsAreConfigErrors() {
        Trainer.Result result = train("alibi");
        var e = assertThrows(ConfigException.class, () -> ContextEval.evaluate(result.runDir(), List.of(0), 1, Device.cpu(), null));
        assertTrue(e.getMessage().contains("--contexts"), e.getMessage());
        var tooLong = ContextEval.evaluate(result.runDir(), List.of(1_000_000), 1, Device.cpu(), null).losses().get(0);
        assertTrue(tooLong.unavailable().contains("validation split has only"), tooLong.unavailable());
    }
}
