package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.metrics.RunSummary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A learning rate that blows the run up: warned about once, or stopped with the last good checkpoint kept. */
class DivergenceTest {

    @TempDir Path dir;

    /** lr 1e4 from the first step, no clipping: the weights overflow within a few steps (about 6, measured). */
    private RunConfig exploding(String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "train.device=cpu",
                "model.layers=1", "model.d_model=32", "model.heads=2", "model.context=16",
                "train.batch_size=4", "train.steps=40", "train.warmup=0", "train.lr=1e4", "train.min_lr=1e4",
                "train.grad_clip=0", "train.log_every=1", "train.eval_every=1000", "train.eval_batches=1",
                "checkpoint.every=1", "checkpoint.keep=100", "sample.tokens=5"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), all);
    }

    @Test
    void stopOnNanStopsAtTheStepAndKeepsTheLastGoodCheckpointNewest() throws Exception {
        RunConfig run = exploding("train.stop_on_nan=true");
        TrainingStopped stop = assertThrows(TrainingStopped.class, () -> new Trainer(run, null, false).fit());
        assertEquals(3, stop.exitCode());
        long bad = stop.step();
        assertTrue(bad > 1 && bad < 40, "stopped at step " + bad);
        assertTrue(stop.getMessage().startsWith("stopped by train.stop_on_nan at step " + bad + " ("), stop.getMessage());
        Path newest = CheckpointDirectory.find(run.runDir());
        assertEquals(newest, stop.checkpoint());
        assertEquals(bad - 1, CheckpointDirectory.readState(newest).step(), "the step before the divergence");
        assertTrue(CheckpointDirectory.stepDirectories(run.runDir().resolve("checkpoints")).stream()
                .noneMatch(p -> p.getFileName().toString().equals(CheckpointDirectory.stepName(bad))), "no checkpoint of it");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            for (var tensor : SafeTensors.read(newest.resolve(CheckpointDirectory.MODEL_FILE), manager).entrySet()) {
                NDArray weights = tensor.getValue();
                assertFalse(weights.isNaN().any().getBoolean() || weights.isInfinite().any().getBoolean(),
                        "the kept checkpoint's " + tensor.getKey() + " is finite");
            }
        }
        assertTrue(RunSummary.read(run.runDir()).isEmpty(), "a stopped run is not complete");
    }

    @Test
    void withoutItOneWarningLineNamesTheStepAndTrainingGoesOn() {
        StringWriter out = new StringWriter();
        RunConfig run = exploding("train.steps=12", "checkpoint.every=0");
        new Trainer(run, new PrintWriter(out), false).fit();
        List<String> warnings = out.toString().lines().filter(l -> l.startsWith("warning:")).toList();
        assertEquals(1, warnings.size(), out.toString());
        assertTrue(warnings.get(0).matches("warning: (loss|gradient norm) is (NaN|Infinity) at step \\d+; training goes on.*"),
                warnings.get(0));
        assertTrue(Files.isRegularFile(run.runDir().resolve(RunSummary.FILE)));
        assertFalse(out.toString().contains("stopped"));
    }
}
