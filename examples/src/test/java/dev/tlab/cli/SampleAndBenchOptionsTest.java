package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleAndBenchOptionsTest {

    @TempDir Path dir;

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

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
    }

    /** RSS (MiB) every 1,000 of 20,000 steps, as measured: the heap settles by step 4,000, then flat. */
    private static final long[] SETTLING = {394, 517, 547, 553, 554, 554, 554, 554, 554, 554, 554, 554,
        554, 554, 554, 554, 554, 554, 554, 524};

    private static java.util.List<long[]> samples(java.util.function.LongUnaryOperator mib) {
        java.util.List<long[]> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(new long[] {1000L * (i + 1), mib.applyAsLong(i) << 20});
        }
        return samples;
    }

    @Test
    void memoryGrowthIgnoresSettlingButCatchesALeak() {
        double settled = BenchCommand.memoryGrowth(samples(i -> SETTLING[(int) i]), 10, 20000);
        assertEquals(0.0, settled, 1e-9, "flat after the first quarter");
        // 1 MiB per 1,000 steps on top of the same curve: 15 MiB over the last 15 samples, 2.7%.
        double slowLeak = BenchCommand.memoryGrowth(samples(i -> SETTLING[(int) i] + i), 10, 20000);
        assertTrue(slowLeak > 0.02, "slow leak shows: " + slowLeak);
        double fastLeak = BenchCommand.memoryGrowth(samples(i -> 400 + 10 * i), 10, 20000);
        assertTrue(fastLeak > 0.05, "leak over the 5% bound: " + fastLeak);
        assertEquals(5000, BenchCommand.memoryBaseline(samples(i -> 400), 10, 20000)[0]);
    }
}
