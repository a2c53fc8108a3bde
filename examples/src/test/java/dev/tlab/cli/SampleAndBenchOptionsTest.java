package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleAndBenchOptionsTest {

    @TempDir Path dir;

    @Test
    void sampleHelpExplainsTheDecodingOptions() {
        Outcome help = run("sample", "--help");
        for (String option : new String[] {"--top-p", "--stop", "--context-limit", "--no-cache", "KV cache"}) {
            assertTrue(help.out().contains(option), "sample --help lacks " + option + ":\n" + help.out());
        }
    }

    @Test
    void badSamplingFlagsAreNamed() {
        Outcome topP = run("sample", dir.toString(), "--top-p", "1.5", "--device", "cpu");
        assertEquals(2, topP.code());
        assertTrue(topP.err().startsWith("error: --top-p must be in (0, 1]"), topP.err());
        Outcome limit = run("sample", dir.toString(), "--context-limit", "wrap", "--device", "cpu");
        assertEquals(2, limit.code());
        assertTrue(limit.err().contains("--context-limit") && limit.err().contains("stop, slide"), limit.err());
        Outcome temperature = run("sample", dir.toString(), "--temperature", "-1", "--device", "cpu");
        assertEquals(2, temperature.code());
        assertTrue(temperature.err().startsWith("error: --temperature must be >= 0"), temperature.err());
        Outcome topK = run("sample", dir.toString(), "--top-k", "-3", "--device", "cpu");
        assertEquals(2, topK.code());
        assertTrue(topK.err().startsWith("error: --top-k must be >= 0"), topK.err());
        Outcome tokens = run("sample", dir.toString(), "--tokens", "-1", "--device", "cpu");
        assertEquals(2, tokens.code());
        assertTrue(tokens.err().startsWith("error: --tokens must be >= 0"), tokens.err());
    }

    @Test
    void escapesOnTheCommandLine() {
        assertEquals("a\nb\tc\\d\\x", SampleCommand.unescape("a\\nb\\tc\\\\d\\x"));
    }

    @Test
    void benchProfilePrintsWhereTheStepGoes() {
        Outcome bench = run("bench", "../configs/shakespeare-char.yaml", "--steps", "6", "--profile", "3",
                "--matmul-size", "64", "--set", "model.layers=1", "--set", "model.d_model=32",
                "--set", "train.device=cpu", "--json", dir.resolve("bench.json").toString());
        assertEquals(0, bench.code(), bench.err());
        for (String row : new String[] {"where a training step's time goes", "embedding", "attention", "ffn", "norm",
                "head", "loss", "optimizer", "step "}) {
            assertTrue(bench.out().contains(row), "no " + row + " in:\n" + bench.out());
        }
        // No phase is a silent wait: each says what runs, the peak's matmuls size by size.
        java.util.List<String> said = bench.err().lines().toList();
        assertEquals(9, said.size(), bench.err());
        assertEquals("matmul peak before training: timing float32 n x n matmuls, n = [16, 32, 64], 12 times each...",
                said.get(0));
        for (int i = 0; i < 3; i++) {
            assertTrue(said.get(1 + i).matches("  n = " + (16 << i) + ": \\d+\\.\\d GFLOP/s \\(\\d+\\.\\d s\\)"), said.get(1 + i));
            assertTrue(said.get(6 + i).startsWith("  n = " + (16 << i) + ": "), said.get(6 + i));
        }
        assertEquals("training 6 steps (4 warm-up)...", said.get(4));
        assertEquals("matmul peak after training...", said.get(5));
    }
}
