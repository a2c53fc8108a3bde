package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir Path dir;

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Outcome help = run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("train") && help.out().contains("sample"), help.out());
    }

    @Test
    void trainHelpExplainsEveryOption() {
        Outcome help = run("train", "--help");
        assertEquals(0, help.code());
        for (String option : new String[] {"CONFIG", "--set", "--quiet", "metrics.jsonl", "docs/CONFIG.md"}) {
            assertTrue(help.out().contains(option), "train --help lacks " + option + ":\n" + help.out());
        }
    }

    @Test
    void sampleHelpExplainsEveryOption() {
        Outcome help = run("sample", "--help");
        for (String option : new String[] {"RUN", "--prompt", "--tokens", "--temperature", "--top-k", "--seed", "--device"}) {
            assertTrue(help.out().contains(option), "sample --help lacks " + option);
        }
    }

    @Test
    void badConfigKeyIsOneLineAndExitCode2() {
        Outcome bad = run("train", "../configs/shakespeare-char.yaml", "--set", "model.dmodel=3");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: --set model.dmodel=3: unknown config key 'model.dmodel'"), bad.err());
        assertTrue(!bad.err().contains("\tat "), "no stack trace: " + bad.err());
    }

    @Test
    void sampleFromAMissingRunIsANamedError() {
        Outcome bad = run("sample", dir.resolve("no-such-run").toString(), "--device", "cpu");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("no checkpoint found"), bad.err());
    }

    @Test
    void benchReportsPeakTokensPerSecondAndMfu() {
        Outcome bench = run("bench", "../configs/shakespeare-char.yaml", "--steps", "3", "--matmul-size", "128",
                "--set", "model.layers=1", "--set", "model.d_model=32", "--set", "train.device=cpu");
        assertEquals(0, bench.code(), bench.err());
        for (String line : new String[] {"matmul peak", "tokens/s", "FLOPs/token", "MFU"}) {
            assertTrue(bench.out().contains(line), bench.out());
        }
        double mfu = Double.parseDouble(bench.out().replaceAll("(?s).*MFU\\s+([0-9.]+)%.*", "$1"));
        assertTrue(mfu > 0 && mfu < 100, "MFU " + mfu);
    }

    @Test
    void trainsAndSamplesEndToEnd() throws Exception {
        Outcome train = run("train", "../configs/shakespeare-char.yaml", "-q",
                "--set", "output.dir=" + dir, "--set", "name=cli", "--set", "train.steps=4",
                "--set", "model.layers=1", "--set", "model.d_model=32", "--set", "train.eval_batches=1",
                "--set", "sample.tokens=5");
        assertEquals(0, train.code(), train.err());
        assertTrue(Files.isRegularFile(dir.resolve("cli/metrics.jsonl")));
        Outcome sample = run("sample", dir.resolve("cli").toString(), "--prompt", "ROMEO:", "--tokens", "10", "--device", "cpu");
        assertEquals(0, sample.code(), sample.err());
    }
}
