package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunCheckpoints;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.optim.AdamW;
import dev.tlab.precision.FullPrecision;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWriterTest {

    @TempDir
    Path dir;

    @Test
    void savesEveryNStepsAndTheLastKeepsTheNewestAndRewritesBestOnANewLow() {
        RunConfig config = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(
                "train.steps=7", "checkpoint.every=2", "checkpoint.keep=2", "output.dir=" + dir));
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter weight = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT)
                    .optArray(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2))).build();
            weight.getArray().setRequiresGradient(true);
            Map<String, Parameter> parameters = Map.of("w", weight);
            var progress = new RunStart.Progress(0, 0, Double.NaN, Double.NaN, 0, 0, 0, null, AdamW.State.FRESH, 0, null);
            var checkpoints = new RunCheckpoints(config, new dev.tlab.tokenize.CharTokenizer("ab"), parameters,
                    new AdamW(parameters, 0.9, 0.99, 1e-8, 0, AdamW.State.FRESH), new FullPrecision(manager), progress);
            var writer = new CheckpointWriter(checkpoints, config.checkpoint(), config.train().steps());
            double[] valLosses = {3, 2, 2.5};
            for (long step = 1; step <= 7; step++) {
                if (step % 3 == 0 || step == 7) {
                    writer.onEvaluation(Events.evaluation(step, step == 7 ? 2.25 : valLosses[(int) step / 3 - 1]));
                }
                writer.onStepEnd(Events.step(step, true));
            }
            Path saved = config.runDir().resolve("checkpoints");
            assertEquals(List.of("step-000006", "step-000007"),
                    CheckpointDirectory.stepDirectories(saved).stream().map(p -> p.getFileName().toString()).toList());
            assertEquals(6, CheckpointDirectory.readState(saved.resolve(CheckpointDirectory.BEST)).step(), "best is the val loss 2 at step 6");
            assertEquals(2.0, writer.bestValLoss());
        }
    }

    /** A diverged evaluation (NaN, infinite) never becomes best/: not as the first one, not after a finite one. */
    @Test
    void aNanEvaluationNeverReplacesBest() throws Exception {
        RunConfig config = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(
                "train.steps=5", "checkpoint.every=0", "output.dir=" + dir));
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter weight = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT)
                    .optArray(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2))).build();
            weight.getArray().setRequiresGradient(true);
            Map<String, Parameter> parameters = Map.of("w", weight);
            var progress = new RunStart.Progress(0, 0, Double.NaN, Double.NaN, 0, 0, 0, null, AdamW.State.FRESH, 0, null);
            var checkpoints = new RunCheckpoints(config, new dev.tlab.tokenize.CharTokenizer("ab"), parameters,
                    new AdamW(parameters, 0.9, 0.99, 1e-8, 0, AdamW.State.FRESH), new FullPrecision(manager), progress);
            Path best = config.runDir().resolve("checkpoints").resolve(CheckpointDirectory.BEST);
            checkpoints.evaluated(1, 64, Double.NaN);
            assertFalse(java.nio.file.Files.exists(best), "a NaN first evaluation wrote best/");
            checkpoints.evaluated(2, 128, 3.0);
            weight.getArray().set(new float[] {9, 9, 9, 9});
            checkpoints.evaluated(3, 192, Double.NaN);
            checkpoints.evaluated(4, 256, Double.POSITIVE_INFINITY);
            assertEquals(2, CheckpointDirectory.readState(best).step(), "best/ is the finite evaluation's");
            assertEquals(3.0, checkpoints.bestValLoss());
            float[] kept = dev.tlab.checkpoint.SafeTensors.read(best.resolve(CheckpointDirectory.MODEL_FILE), manager)
                    .get("w").toFloatArray();
            assertEquals("[1.0, 2.0, 3.0, 4.0]", java.util.Arrays.toString(kept), "best/ holds step 2's weights");
        }
    }
}
