package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train.threads}: the count runs, the start-up line says it, the checkpoint records it and a resume keeps it. */
class CpuThreadsTest {

    @TempDir Path dir;

    private RunConfig tiny(String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "name=threads", "train.device=cpu",
                "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=16", "train.batch_size=2",
                "train.steps=4", "train.eval_every=2", "train.eval_batches=1", "sample.tokens=0", "checkpoint.every=2",
                "metrics.tensorboard=false"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), all);
    }

    /** Runs {@code trainer} and returns its console, with the thread count seen after every step appended. */
    private static String fit(Trainer trainer, StringWriter console, List<Integer> seen) {
        trainer.onStep((done, manager) -> seen.add(CpuThreads.current())).fit();
        return console.toString();
    }

    @AfterEach
    void backToTheDefault() {
        CpuThreads.apply(CpuThreads.AUTO, 0, note -> {});
    }

    @Test
    void theCountRunsIsSaidAtTheStartAndRecordedAndAResumeKeepsIt() {
        StringWriter first = new StringWriter();
        List<Integer> seen = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> new Trainer(tiny("train.threads=1"), new PrintWriter(first), false)
                .onStep((done, manager) -> {
                    seen.add(CpuThreads.current());
                    if (done == 2) {
                        throw new IllegalStateException("stop after the step-2 checkpoint");
                    }
                }).fit());
        assertEquals(List.of(1, 1), seen);
        assertTrue(first.toString().contains("| 1 CPU thread (train.threads), "), first.toString());
        Path run = dir.resolve("threads");
        assertEquals(1, CheckpointDirectory.readState(run.resolve("checkpoints/step-000002")).threads());

        // Another count in between (another run in this process), then a resume with the default: the checkpoint's 1.
        CpuThreads.apply(2, 0, note -> {});
        StringWriter resumed = new StringWriter();
        seen.clear();
        String log = fit(new Trainer(tiny(), new PrintWriter(resumed), false).from(RunStart.resume(run)), resumed, seen);
        assertEquals(List.of(1, 1), seen, log);
        assertTrue(log.contains("| 1 CPU thread (train.threads), "), log);
        assertTrue(!log.contains("last bits"), "no note when the count is kept: " + log);
        assertEquals(1, CheckpointDirectory.readState(run.resolve("checkpoints/step-000004")).threads());
    }

    @Test
    void aResumeAskedForAnotherCountSaysItWillNotMatch() {
        Path run = dir.resolve("threads");
        assertThrows(IllegalStateException.class, () -> new Trainer(tiny("train.threads=1"), null, false)
                .onStep((done, manager) -> {
                    if (done == 2) {
                        throw new IllegalStateException("stop");
                    }
                }).fit());
        StringWriter console = new StringWriter();
        List<Integer> seen = new ArrayList<>();
        String log = fit(new Trainer(tiny("train.threads=2"), new PrintWriter(console), false).from(RunStart.resume(run)),
                console, seen);
        assertEquals(List.of(2, 2), seen);
        assertTrue(log.contains("train.threads: 2 threads, the checkpoint was trained with 1: results will differ from"
                + " an uninterrupted run's in the last bits"), log);
        assertTrue(!log.contains("resuming with changed settings"), "one note, not two: " + log);
    }

    @Test
    void aNegativeCountIsRefusedNamingTheKey() {
        var e = assertThrows(ConfigException.class, () -> tiny("train.threads=-1"));
        assertEquals("train.threads must be >= 0, got -1", e.getMessage());
    }
}
