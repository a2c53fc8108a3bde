package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.metrics.RunSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stop request ends a run after a step with a checkpoint and no done.json; a checkpoint request keeps it going. */
class StopRequestTest {

    private static final Path SHIPPED = Path.of("../configs/shakespeare-char.yaml");
    private static final StopRequest.Reason TERM = new StopRequest.Reason("SIGTERM", 143);

    @TempDir Path dir;

    private RunConfig run(String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "name=" + name, "train.device=cpu",
                "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=8", "train.batch_size=4",
                "train.steps=8", "train.warmup=2", "train.eval_every=3", "train.eval_batches=1", "sample.tokens=0"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(SHIPPED, all);
    }

    private static byte[] weights(Path checkpoint) throws Exception {
        return Files.readAllBytes(checkpoint.resolve(CheckpointDirectory.MODEL_FILE));
    }

    @Test
    void stopWritesTheLastStepsCheckpointAndResumeMatchesAnUnbrokenRun() throws Exception {
        new Trainer(run("whole", "train.log_every=1"), null, false).fit();
        Path whole = dir.resolve("whole/checkpoints").resolve(CheckpointDirectory.stepName(8));

        StopRequest stop = new StopRequest();
        RunConfig cut = run("cut", "train.log_every=1");
        var stopped = assertThrows(TrainingStopped.class, () -> new Trainer(cut, null, false).stopOn(stop)
                .onStep((done, manager) -> {
                    if (done == 3) {
                        stop.stop(TERM);
                        stop.stop(new StopRequest.Reason("SIGINT", 130)); // a second signal changes nothing
                    }
                }).fit());
        assertEquals(3, stopped.step());
        assertEquals(143, stopped.exitCode());
        assertEquals("stopped by SIGTERM after step 3; checkpoint " + cut.runDir().resolve("checkpoints/step-000003")
                + "; continue with: tlab resume " + cut.runDir(), stopped.getMessage());
        assertNull(CheckpointDirectory.problem(stopped.checkpoint(), true));
        assertFalse(Files.exists(cut.runDir().resolve(RunSummary.FILE)), "a stopped run is not finished");
        assertEquals(3, Files.readAllLines(cut.runDir().resolve("metrics.jsonl")).size(), "metrics of every step reached the file");

        new Trainer(cut, null, false).from(RunStart.resume(cut.runDir())).fit();
        assertArrayEquals(weights(whole), weights(cut.runDir().resolve("checkpoints/step-000008")));
    }

    @Test
    void checkpointRequestWritesOneAndTrainsOn() throws Exception {
        StopRequest requests = new StopRequest();
        RunConfig run = run("asked", "checkpoint.every=4", "checkpoint.keep=3");
        var out = new java.io.StringWriter();
        new Trainer(run, new java.io.PrintWriter(out), false).stopOn(requests).onStep((done, manager) -> {
            if (done == 2 || done == 4) {
                requests.checkpoint("SIGUSR1");
            }
        }).fit();
        Path checkpoints = run.runDir().resolve("checkpoints");
        assertEquals(List.of("step-000002", "step-000004", "step-000008"),
                CheckpointDirectory.list(checkpoints).stream().map(p -> p.getFileName().toString()).toList(),
                "step 4's own checkpoint serves the request");
        assertTrue(out.toString().contains("SIGUSR1: checkpoint " + checkpoints.resolve("step-000002")
                + " after step 2; training continues"), out.toString());
        assertTrue(Files.exists(run.runDir().resolve(RunSummary.FILE)));
    }

    @Test
    void checkpointSignalKeyNamesASignalOrNone() {
        assertEquals("USR1", run("a").train().checkpointSignal());
        assertEquals("HUP", run("a", "train.checkpoint_signal=SIGHUP").train().checkpointSignal());
        assertEquals("none", run("a", "train.checkpoint_signal=\"\"").train().checkpointSignal());
        var bad = assertThrows(ConfigException.class, () -> run("a", "train.checkpoint_signal=TERM"));
        assertTrue(bad.getMessage().startsWith("train.checkpoint_signal: unsupported value 'TERM'"), bad.getMessage());
        assertTrue(bad.getMessage().endsWith("allowed: USR1, USR2, HUP, none"), bad.getMessage());
    }
}
