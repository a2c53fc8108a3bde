package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code sample} and {@code eval} take {@code --checkpoint best|latest|PATH}; a bad one is one line and exit 2. */
class CheckpointChoiceTest {

    @TempDir static Path dir;
    private static Path source;

    @BeforeAll
    static void trainFourSteps() {
        Outcome trained = run("train", "../configs/shakespeare-char.yaml", "-q", "--set", "output.dir=" + dir, "--set",
                "name=source", "--set", "model.layers=1", "--set", "model.d_model=16", "--set", "model.heads=2", "--set",
                "model.context=16", "--set", "train.batch_size=2", "--set", "train.eval_batches=1", "--set",
                "train.eval_every=2", "--set", "checkpoint.every=2", "--set", "sample.tokens=0", "--set",
                "train.device=cpu", "--set", "train.steps=4", "--set", "metrics.tensorboard=false");
        assertEquals(0, trained.code(), trained.err());
        source = dir.resolve("source");
    }

    @ParameterizedTest
    @CsvSource({"latest, step-000004, (step 4)", "best, best, (step ", "step-000002, step-000002, (step 2)",
        "RUN/checkpoints/step-000002, step-000002, (step 2)"})
    void evalScoresTheCheckpointAskedFor(String which, String name, String step) {
        String checkpoint = which.replace("RUN", source.toString());
        Outcome eval = run("eval", source.toString(), "--checkpoint", checkpoint, "--contexts", "8", "--batches", "1",
                "--device", "cpu");
        assertEquals(0, eval.code(), eval.err());
        String first = eval.out().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith(source.resolve("checkpoints").resolve(name) + " " + step), eval.out());
    }

    @Test
    void sampleTakesTheBestCheckpoint() {
        Outcome sample = run("sample", source.toString(), "--checkpoint", "best", "--tokens", "5", "--device", "cpu");
        assertEquals(0, sample.code(), sample.err());
        assertEquals(1 + 5 + 1, sample.out().length(), "the prompt, 5 characters and a newline: " + sample.out());
    }

    @Test
    void theHelpStatesTheDefault() {
        for (String command : List.of("sample", "eval")) {
            String help = run(command, "--help").out().replaceAll("\\s+", " ");
            assertTrue(help.contains("--checkpoint=WHICH Which checkpoint of RUN: latest (the newest complete one), best"),
                    help);
            assertTrue(help.contains("(default: latest)"), help);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sample|nope|error: --checkpoint nope: no such checkpoint (expected best, latest, a checkpoint directory, or a name in ",
        "eval|nope|error: --checkpoint nope: no such checkpoint (expected best, latest, a checkpoint directory, or a name in ",
        "eval|''|error: --checkpoint: expected best, latest or a checkpoint's path, got an empty value",
        "sample|best@DIR|error: --checkpoint best: DIR is not a run directory (one holding checkpoints/)"})
    void aBadChoiceIsOneLineWithExitCode2(String command, String which, String expected) throws Exception {
        String target = which.endsWith("@DIR") ? dir.toString() : source.toString();
        String value = which.replace("@DIR", "");
        Outcome bad = run(command, target, "--checkpoint", value, "--device", "cpu");
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertTrue(bad.err().startsWith(expected.replace("DIR", dir.toString())), bad.err());
        assertTrue(Files.isDirectory(source.resolve("checkpoints/best")));
    }
}
