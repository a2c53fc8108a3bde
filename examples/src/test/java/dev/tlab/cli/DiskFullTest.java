package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tlab.checkpoint.CheckpointDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills while training or resuming: one line naming the file and the space, exit 2,
 * and nothing that was complete is lost. Linux's {@code /dev/full} answers every write with the
 * error a full disk gives (ENOSPC), so a file linked to it is a full disk at exactly that write.
 */
class DiskFullTest {

    private static final Path FULL = Path.of("/dev/full");

    @TempDir Path dir;

    private List<String> train(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "../configs/shakespeare-char.yaml", "--set", "output.dir=" + dir,
                "--set", "name=" + name, "--set", "model.layers=1", "--set", "model.d_model=16", "--set", "model.heads=2",
                "--set", "model.context=16", "--set", "train.batch_size=2", "--set", "train.eval_batches=1",
                "--set", "train.eval_every=2", "--set", "checkpoint.every=2", "--set", "sample.tokens=0",
                "--set", "train.device=cpu", "--set", "train.steps=2", "-q"));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void whileTrainingTheFileIsNamedInOneLine() throws IOException {
        assumeTrue(Files.isWritable(FULL), "needs /dev/full");
        Path run = Files.createDirectories(dir.resolve("full"));
        Files.createSymbolicLink(run.resolve("metrics.jsonl"), FULL);
        Outcome full = run(train("full"));
        assertEquals(2, full.code(), full.err());
        assertEquals(1, full.err().lines().count(), "one line:\n" + full.err());
        assertTrue(full.err().startsWith("error: no space left on device writing " + run.resolve("metrics.jsonl") + " ("),
                full.err());
        assertTrue(full.err().contains(" free there); free some space or choose another directory"), full.err());
    }

    @Test
    void whileResumingTheMetricsAndTheCheckpointAreKept() throws IOException {
        assumeTrue(Files.isWritable(FULL), "needs /dev/full");
        assertEquals(0, run(train("resumed")).code());
        Path run = dir.resolve("resumed");
        String metrics = Files.readString(run.resolve("metrics.jsonl"));
        Path checkpoint = CheckpointDirectory.find(run);
        // A resume keeps the rows up to its checkpoint by writing them beside the file first.
        Files.createSymbolicLink(run.resolve("metrics.jsonl.tmp"), FULL);
        Outcome full = run(List.of("resume", run.toString(), "--set", "train.steps=4", "-q"));
        assertEquals(2, full.code(), full.err());
        assertEquals(1, full.err().lines().count(), "one line:\n" + full.err());
        assertTrue(full.err().startsWith("error: no space left on device writing " + run.resolve("metrics.jsonl") + " ("),
                full.err());
        assertTrue(full.err().strip().endsWith("; metrics.jsonl is as it was"), full.err());
        assertEquals(metrics, Files.readString(run.resolve("metrics.jsonl")));
        assertFalse(Files.exists(run.resolve("metrics.jsonl.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals(checkpoint, CheckpointDirectory.find(run));
        assertEquals(0, run(List.of("resume", run.toString(), "--set", "train.steps=4", "-q")).code(),
                "with space again it resumes");
    }
}
