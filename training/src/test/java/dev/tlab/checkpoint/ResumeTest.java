package dev.tlab.checkpoint;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.layers.Bfloat16Support;
import dev.tlab.metrics.tensorboard.EventFile;
import dev.tlab.metrics.tensorboard.EventReader;
import dev.tlab.metrics.tensorboard.Events;
import dev.tlab.metrics.tensorboard.TfRecord;
import dev.tlab.train.Trainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exact resume: N+M steps straight through equals N steps, a crash, and a resume to N+M, bit for
 * bit in weights and AdamW moments, with dropout and gradient accumulation on. And crash safety:
 * damaged or half-written checkpoints are passed over for the previous complete one.
 */
class ResumeTest {

    private static final Path SHIPPED = Path.of("../configs/shakespeare-char.yaml");
    private static final int STEPS = 12;

    @TempDir static Path shared;
    @TempDir Path dir;

    /** The uninterrupted run every resumed run must reproduce. */
    private static Path straight;

    /** Two layers, d 32, context 16; checkpoints at 5, 10 and 12; evals at 4, 8 and 12. */
    static RunConfig tiny(Path out, String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + out, "name=" + name, "train.device=cpu",
                "model.layers=2", "model.d_model=32", "model.heads=2", "model.context=16", "model.dropout=0.1",
                "train.batch_size=4", "train.grad_accum=2", "train.steps=" + STEPS, "train.warmup=2",
                "train.eval_every=4", "train.eval_batches=2", "train.log_every=1", "sample.tokens=0",
                "checkpoint.every=5", "checkpoint.keep=2"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(SHIPPED, all);
    }

    @BeforeAll
    static void trainStraightThrough() {
        straight = new Trainer(tiny(shared, "straight"), null, false).fit().runDir();
    }

    @Test
    void resumedRunIsBitIdenticalToAnUninterruptedOne() throws IOException {
        RunConfig run = tiny(dir, "interrupted");
        var crash = assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
            if (done == 7) {
                throw new IllegalStateException("simulated crash after step 7");
            }
        }).fit());
        assertEquals("simulated crash after step 7", crash.getMessage());
        Path runDir = dir.resolve("interrupted");
        assertEquals(List.of("step-000005"), names(CheckpointDirectory.list(runDir.resolve("checkpoints"))));

        new Trainer(run, null, false).from(RunStart.resume(runDir)).fit();

        assertSameCheckpoint(straight.resolve("checkpoints/step-000012"), runDir.resolve("checkpoints/step-000012"));
        assertSameCheckpoint(straight.resolve("checkpoints/best"), runDir.resolve("checkpoints/best"));
        // Steps 6 and 7 were logged before the crash and again after the resume: only once in the log.
        assertEquals(losses(straight), losses(runDir));
    }

    @Test
    void everyLoggedStepIsInTensorBoardOnceAfterAKillBetweenCheckpointAndEvents() throws Exception {
        RunConfig run = tiny(dir, "killed");
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
            if (done == 10) {
                throw new IllegalStateException("stop");
            }
        }).fit());
        Path runDir = dir.resolve("killed");
        assertEquals(10, CheckpointDirectory.readState(runDir.resolve("checkpoints/step-000010")).step());
        // What a process killed after writing checkpoint 10 but before its events leaves: step 10
        // (train and val) in metrics.jsonl and in no event file.
        for (Path file : EventFile.files(runDir)) {
            List<byte[]> kept = TfRecord.readAll(Files.readAllBytes(file)).stream().filter(r -> Events.step(r) < 10).toList();
            Files.write(file, TfRecord.frameAll(kept));
        }
        new Trainer(run, null, false).from(RunStart.resume(runDir)).fit();

        List<Long> inMetrics = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            inMetrics.add(new ObjectMapper().readTree(line).get("step").asLong());
        }
        assertEquals(12, inMetrics.size());
        List<Long> trainInEvents = new ArrayList<>();
        List<Long> valInEvents = new ArrayList<>();
        for (Path file : EventFile.files(runDir)) {
            for (EventReader.Event event : EventReader.read(file)) {
                if (event.scalars().containsKey("loss/train")) {
                    trainInEvents.add(event.step());
                }
                if (event.scalars().containsKey("loss/val")) {
                    valInEvents.add(event.step());
                }
            }
        }
        assertEquals(inMetrics, trainInEvents, "each step of metrics.jsonl once, in order");
        assertEquals(List.of(4L, 8L, 12L), valInEvents);
    }

    @Test
    void resumeIsExactWhileTheGarbageCollectorRuns() throws Exception {
        // Native memory that Java frees on collection must never back a tensor that backward still
        // reads (see dev.tlab.layers.Scalars): collecting all the time must not change a single bit.
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        collector.setDaemon(true);
        collector.start();
        try {
            RunConfig run = tiny(dir, "collected");
            assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
                if (done == 7) {
                    throw new IllegalStateException("stop");
                }
            }).fit());
            new Trainer(run, null, false).from(RunStart.resume(dir.resolve("collected"))).fit();
        } finally {
            collector.interrupt();
            collector.join();
        }
        assertSameCheckpoint(straight.resolve("checkpoints/step-000012"), dir.resolve("collected/checkpoints/step-000012"));
    }

    @Test
    void resumeAfterTheLastCheckpointContinuesFromIt() throws IOException {
        // Stopping exactly at a checkpoint (step 10) loses nothing.
        RunConfig run = tiny(dir, "at-checkpoint");
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
            if (done == 10) {
                throw new IllegalStateException("stop");
            }
        }).fit());
        RunStart start = RunStart.resume(dir.resolve("at-checkpoint"));
        assertEquals(10, start.state().step());
        assertEquals(10, start.state().optimizerSteps());
        assertEquals(10L * 2 * 4 * 16, start.state().tokensSeen());
        new Trainer(run, null, false).from(start).fit();
        assertSameCheckpoint(straight.resolve("checkpoints/step-000012"), dir.resolve("at-checkpoint/checkpoints/step-000012"));
    }

    @Test
    void fp16RunResumesBitIdenticallyWithItsLossScale() throws IOException {
        Path straightHalf = stopAtSixAndResume("fp16", "train.precision=fp16");
        CheckpointState state = CheckpointDirectory.readState(straightHalf.resolve("checkpoints/step-000008"));
        assertEquals(65536.0, state.lossScale());
        assertEquals(8, state.lossScaleGoodSteps());
    }

    /** The fused attention kernel, with its own dropout draws, resumes as exactly as the separate ops. */
    @Test
    void sdpaRunWithDropoutResumesBitIdentically() throws IOException {
        stopAtSixAndResume("sdpa", "model.attention=sdpa");
    }

    /** bf16 (on a JNI library that maps it): no loss scale to keep, the rest as exact as fp32 and fp16. */
    @Tag("bf16")
    @Test
    void bf16RunResumesBitIdentically() throws IOException {
        assumeTrue(Bfloat16Support.available(), () -> "no bfloat16: " + Bfloat16Support.unavailableReason());
        Path straightHalf = stopAtSixAndResume("bf16", "train.precision=bf16");
        assertEquals(losses(straightHalf), losses(dir.resolve("bf16-interrupted")));
        CheckpointState state = CheckpointDirectory.readState(straightHalf.resolve("checkpoints/step-000008"));
        assertEquals(0.0, state.lossScale());
        // Not the fp32 run's weights: the steps really ran in bfloat16.
        Path straightFull = new Trainer(tiny(dir, "fp32-straight", "train.steps=8", "checkpoint.every=4",
                "train.eval_every=8"), null, false).fit().runDir();
        assertFalse(Arrays.equals(
                Files.readAllBytes(straightFull.resolve("checkpoints/step-000008/" + CheckpointDirectory.MODEL_FILE)),
                Files.readAllBytes(straightHalf.resolve("checkpoints/step-000008/" + CheckpointDirectory.MODEL_FILE))));
    }

    /**
     * Trains {@code label}-straight for 8 steps (checkpoints at 4 and 8), and {@code label}-interrupted
     * the same way but stopped after step 6 and resumed from step 4; asserts the two step-8
     * checkpoints are identical and returns the straight run.
     */
    private Path stopAtSixAndResume(String label, String setting) throws IOException {
        String[] settings = {setting, "train.steps=8", "checkpoint.every=4", "train.eval_every=8"};
        Path straightRun = new Trainer(tiny(dir, label + "-straight", settings), null, false).fit().runDir();
        RunConfig run = tiny(dir, label + "-interrupted", settings);
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
            if (done == 6) {
                throw new IllegalStateException("stop");
            }
        }).fit());
        new Trainer(run, null, false).from(RunStart.resume(dir.resolve(label + "-interrupted"))).fit();
        assertSameCheckpoint(straightRun.resolve("checkpoints/step-000008"),
                dir.resolve(label + "-interrupted/checkpoints/step-000008"));
        return straightRun;
    }

    enum Damage { MISSING_MODEL, MISSING_OPTIMIZER, TRUNCATED_MODEL, CORRUPT_OPTIMIZER, MISSING_STATE, TRUNCATED_STATE, LEFTOVER_TMP }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void damagedNewestCheckpointFallsBackToThePreviousComplete(Damage damage) throws IOException {
        Path runDir = copyOf(straight, dir.resolve("damaged"));
        Path newest = runDir.resolve("checkpoints/step-000012");
        // best/ (step 12 here) would be taken before step-000010; this test is about the step checkpoints.
        DurableFiles.deleteTree(runDir.resolve("checkpoints/" + CheckpointDirectory.BEST));
        switch (damage) {
            case MISSING_MODEL -> Files.delete(newest.resolve(CheckpointDirectory.MODEL_FILE));
            case MISSING_OPTIMIZER -> Files.delete(newest.resolve(CheckpointDirectory.OPTIMIZER_FILE));
            case TRUNCATED_MODEL -> truncate(newest.resolve(CheckpointDirectory.MODEL_FILE));
            case CORRUPT_OPTIMIZER -> {
                // Same size, one flipped byte: only the SHA-256 tells.
                byte[] bytes = Files.readAllBytes(newest.resolve(CheckpointDirectory.OPTIMIZER_FILE));
                bytes[bytes.length - 3] ^= 0x40;
                Files.write(newest.resolve(CheckpointDirectory.OPTIMIZER_FILE), bytes);
            }
            case MISSING_STATE -> Files.delete(newest.resolve(CheckpointDirectory.STATE_FILE));
            case TRUNCATED_STATE -> truncate(newest.resolve(CheckpointDirectory.STATE_FILE));
            case LEFTOVER_TMP -> {
                // A crash while writing step 12: the directory never got its real name.
                Files.move(newest, runDir.resolve("checkpoints/step-000012.tmp"));
                truncate(runDir.resolve("checkpoints/step-000012.tmp/" + CheckpointDirectory.MODEL_FILE));
            }
        }
        CheckpointDirectory.Found found = CheckpointDirectory.locate(runDir);
        assertEquals("step-000010", found.checkpoint().getFileName().toString());
        assertEquals(damage == Damage.LEFTOVER_TMP ? 0 : 1, found.skipped().size(), found.skipped().toString());

        new Trainer(tiny(dir, "damaged"), null, false).from(RunStart.resume(runDir)).fit();
        assertSameCheckpoint(straight.resolve("checkpoints/step-000012"), newest);
        assertFalse(Files.exists(runDir.resolve("checkpoints/step-000012.tmp")), "leftovers are cleaned up");
    }

    @Test
    void aCompleteBestNewerThanTheLastStepCheckpointIsResumedFrom() throws IOException {
        // Killed while step 12 was being written, after best/ at step 12: nothing is left to train.
        Path runDir = copyOf(straight, dir.resolve("best-newest"));
        Files.move(runDir.resolve("checkpoints/step-000012"), runDir.resolve("checkpoints/step-000012.tmp"));
        int bestStep = (int) CheckpointDirectory.readState(runDir.resolve("checkpoints/best")).step();
        assertTrue(bestStep > 10, "best/ is at step " + bestStep);
        assertEquals(runDir.resolve("checkpoints/best"), CheckpointDirectory.locate(runDir).checkpoint());
        assertEquals(runDir.resolve("checkpoints/best"), RunStart.resume(runDir).checkpoint());
    }

    @Test
    void anIncompleteCheckpointGivenDirectlyIsANamedError() throws IOException {
        Path runDir = copyOf(straight, dir.resolve("direct"));
        Path newest = runDir.resolve("checkpoints/step-000012");
        truncate(newest.resolve(CheckpointDirectory.MODEL_FILE));
        var e = assertThrows(ConfigException.class, () -> RunStart.resume(newest));
        assertTrue(e.getMessage().contains(newest.resolve(CheckpointDirectory.MODEL_FILE).toString())
                && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void nothingCompleteToResumeListsWhatWasFound() throws IOException {
        Path runDir = copyOf(straight, dir.resolve("none"));
        for (Path checkpoint : CheckpointDirectory.stepDirectories(runDir.resolve("checkpoints"))) {
            Files.delete(checkpoint.resolve(CheckpointDirectory.STATE_FILE));
        }
        Files.delete(runDir.resolve("checkpoints/best").resolve(CheckpointDirectory.STATE_FILE));
        var e = assertThrows(ConfigException.class, () -> RunStart.resume(runDir));
        assertTrue(e.getMessage().startsWith("no complete checkpoint found in " + runDir), e.getMessage());
        assertTrue(e.getMessage().contains("step-000012: state.json is missing")
                && e.getMessage().contains("best: state.json is missing"), e.getMessage());
    }

    @Test
    void resumeRefusesAChangedModelNamingTheField() {
        RunConfig wider = tiny(dir, "straight", "model.d_model=64", "model.heads=4");
        var e = assertThrows(ConfigException.class, () -> new Trainer(wider, null, false).from(RunStart.resume(straight)).fit());
        assertTrue(e.getMessage().contains("model.d_model: checkpoint 32, now 64"), e.getMessage());
        assertTrue(e.getMessage().contains("model.heads: checkpoint 2, now 4"), e.getMessage());
    }

    @Test
    void resumeRefusesAChangedVocabularyNamingTheCharacters() throws IOException {
        String text = Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt")).substring(0, 20_000) + "{~}";
        Path data = Files.writeString(dir.resolve("more.txt"), text);
        RunConfig other = tiny(dir, "straight", "data.path=" + data);
        var e = assertThrows(ConfigException.class, () -> new Trainer(other, null, false).from(RunStart.resume(straight)).fit());
        assertTrue(e.getMessage().contains("vocabulary (checkpoint 65 tokens, now 68)")
                && e.getMessage().contains("'{' '}' '~'"), e.getMessage());
    }

    @Test
    void resumingAFinishedRunSaysHowToContinue() {
        var e = assertThrows(ConfigException.class,
                () -> new Trainer(tiny(shared, "straight"), null, false).from(RunStart.resume(straight)).fit());
        assertTrue(e.getMessage().contains("raise it (--set train.steps=N)"), e.getMessage());
    }

    @Test
    void aFreshRunDoesNotOverwriteAnEarlierOnesCheckpoints() {
        var e = assertThrows(ConfigException.class, () -> new Trainer(tiny(shared, "straight"), null, false).fit());
        assertTrue(e.getMessage().contains("already has checkpoints"), e.getMessage());
    }

    @Test
    void stateRecordsWhatAResumeNeeds() {
        CheckpointState state = CheckpointDirectory.readState(straight.resolve("checkpoints/step-000012"));
        assertEquals(CheckpointState.FORMAT_VERSION, state.formatVersion());
        assertEquals(12, state.step());
        assertEquals(1337, state.seed());
        assertEquals(65, state.vocabulary().length);
        assertEquals(32, state.config().path("model").path("d_model").asInt(), state.config().toString());
        assertEquals("0.36.0", state.djlVersion());
        assertTrue(state.tlabVersion().matches("\\d+\\.\\d+\\.\\d+.*"), state.tlabVersion());
        assertTrue(Double.isFinite(state.bestValLoss()) && state.bestValLoss() <= state.valLoss(), state.toString());
        assertEquals(64, state.files().get(CheckpointDirectory.MODEL_FILE).sha256().length());
        CheckpointState best = CheckpointDirectory.readState(straight.resolve("checkpoints/best"));
        assertEquals(best.step(), state.bestValStep());
        assertEquals(best.valLoss(), state.bestValLoss());
    }

    @Test
    void aRunCheckpointedInFormatTwoResumes() throws IOException {
        Path runDir = dir.resolve("old-run");
        Path copy = Files.createDirectories(runDir.resolve("checkpoints/step-000004"));
        try (var files = Files.list(CheckpointDirectoryTest.FORMAT_2)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        RunStart start = RunStart.resume(runDir);
        String corpus = Path.of("../examples/data/tinyshakespeare/input.txt").toAbsolutePath().normalize().toString();
        RunConfig config = ConfigLoader.withOverrides(start.savedConfig(),
                List.of("train.steps=6", "train.device=cpu", "data.path=" + corpus)).withRunDir(runDir);
        new Trainer(config, null, false).from(start).fit();
        CheckpointState state = CheckpointDirectory.readState(runDir.resolve("checkpoints/step-000006"));
        assertEquals(CheckpointState.FORMAT_VERSION, state.formatVersion());
        assertEquals(6, state.step());
        assertEquals(config, ConfigLoader.fromTree(state.config(), "state.json", List.of()));
        assertTrue(state.config().path("model").path("type").isMissingNode(), state.config().toString());
    }

    private static void assertSameCheckpoint(Path expected, Path actual) throws IOException {
        for (String file : List.of(CheckpointDirectory.MODEL_FILE, CheckpointDirectory.OPTIMIZER_FILE)) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(file)), Files.readAllBytes(actual.resolve(file)),
                    file + " of " + actual + " differs from " + expected);
        }
        CheckpointState a = CheckpointDirectory.readState(expected);
        CheckpointState b = CheckpointDirectory.readState(actual);
        assertEquals(List.of(a.step(), a.optimizerSteps(), a.tokensSeen(), a.valLoss(), a.bestValLoss(), a.bestValStep(),
                        a.lossScale(), a.lossScaleGoodSteps()),
                List.of(b.step(), b.optimizerSteps(), b.tokensSeen(), b.valLoss(), b.bestValLoss(), b.bestValStep(),
                        b.lossScale(), b.lossScaleGoodSteps()));
    }

    /** (step, train loss, val loss) of every logged row. */
    private static List<String> losses(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            out.add(row.get("step") + " " + row.path("train_loss") + " " + row.path("val_loss"));
        }
        return out;
    }

    private static List<String> names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList();
    }

    static void truncate(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
    }

    static Path copyOf(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
