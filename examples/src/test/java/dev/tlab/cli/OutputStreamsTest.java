package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands print through the streams they are given, never past them to System.out or System.err. */
class OutputStreamsTest {

    @TempDir Path dir;

    @Test
    void trainingProgressAndSamplesGoToTheGivenStreams() {
        PrintStream systemOut = System.out;
        PrintStream systemErr = System.err;
        ByteArrayOutputStream strayOut = new ByteArrayOutputStream();
        ByteArrayOutputStream strayErr = new ByteArrayOutputStream();
        Outcome train;
        Outcome sample;
        try {
            System.setOut(new PrintStream(strayOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(strayErr, true, StandardCharsets.UTF_8));
            train = run("train", "../configs/shakespeare-char.yaml", "--set", "output.dir=" + dir, "--set", "name=s",
                    "--set", "train.steps=2", "--set", "model.layers=1", "--set", "model.d_model=32",
                    "--set", "model.context=16", "--set", "train.eval_batches=1", "--set", "sample.tokens=0",
                    "--set", "train.device=cpu");
            sample = run("sample", dir.resolve("s").toString(), "--prompt", "ROMEO:", "--tokens", "30",
                    "--context-limit", "stop", "--device", "cpu");
        } finally {
            System.setOut(systemOut);
            System.setErr(systemErr);
        }
        assertEquals(0, train.code(), train.err());
        assertTrue(train.err().contains("tlab: run 's'") && train.err().contains("done: 2 steps"), train.err());
        assertEquals(0, sample.code(), sample.err());
        assertTrue(sample.out().startsWith("ROMEO:"), sample.out());
        assertTrue(sample.err().startsWith("using checkpoint " + dir.resolve("s/checkpoints/step-000002") + " (step 2)\n"
                + "(stopped after 10 tokens: the text filled the model's context of 16)"), sample.err());
        assertEquals("", strayOut.toString(StandardCharsets.UTF_8));
        String stray = strayErr.toString(StandardCharsets.UTF_8);
        assertTrue(!stray.contains("tlab") && !stray.contains("stopped after"), "printed past the given stream: " + stray);
    }
}
