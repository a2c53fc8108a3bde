package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir Path dir;

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
    void benchReportsPeakTokensPerSecondAndMfu() throws Exception {
        Path json = dir.resolve("bench.json");
        Outcome bench = run("bench", "../configs/shakespeare-char.yaml", "--steps", "12", "--warmup", "4",
                "--memory-every", "3", "--matmul-size", "128", "--peak-every", "2", "--json", json.toString(),
                "--set", "model.layers=1", "--set", "model.d_model=32", "--set", "train.device=cpu");
        assertEquals(0, bench.code(), bench.err());
        for (String line : new String[] {"matmul peak", "tokens/s", "ms/step", "FLOPs/token", "MFU", "peak RSS",
                "RSS growth", "4 warm-up, 7 timed", "median of 3 samples between steps", "MFU alongside"}) {
            assertTrue(bench.out().contains(line), bench.out());
        }
        double mfu = Double.parseDouble(bench.out().replaceAll("(?s).*MFU\\s+([0-9.]+)%.*", "$1"));
        assertTrue(mfu > 0 && mfu < 100, "MFU " + mfu);
        var figures = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertEquals(mfu / 100, figures.get("mfu").asDouble(), 0.001);
        assertTrue(figures.get("peak_rss_bytes").asLong() > 0 && figures.get("rss_samples").size() == 4, figures.toString());
        // Samples at steps 6, 8 and 10; MFU alongside is achieved over their median.
        assertEquals(3, figures.get("matmul_alongside_gflops").size(), figures.toString());
        double achieved = figures.get("tokens_per_s").asDouble() * figures.get("flops_per_token").asDouble() / 1e9;
        assertEquals(achieved / figures.get("matmul_alongside_median_gflops").asDouble(),
                figures.get("mfu_alongside").asDouble(), 1e-9);
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

    private static final String[] TINY = {"--set", "model.layers=1", "--set", "model.d_model=32", "--set", "model.heads=2",
        "--set", "model.context=16", "--set", "train.batch_size=4", "--set", "train.eval_batches=1", "--set", "sample.tokens=0",
        "--set", "train.device=cpu", "--set", "train.eval_every=2"};

    private Outcome train(String name, String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "../configs/shakespeare-char.yaml", "-q",
                "--set", "output.dir=" + dir, "--set", "name=" + name));
        args.addAll(java.util.List.of(TINY));
        args.addAll(java.util.List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @Test
    void resumeContinuesARunAndRefusesAChangedModel() {
        assertEquals(0, train("r", "--set", "train.steps=4", "--set", "checkpoint.every=2").code());
        Outcome done = run("resume", dir.resolve("r").toString(), "-q");
        assertEquals(2, done.code());
        assertTrue(done.err().startsWith("error: nothing to resume:") && done.err().contains("--set train.steps=N"), done.err());

        Outcome more = run("resume", dir.resolve("r").toString(), "-q", "--set", "train.steps=6");
        assertEquals(0, more.code(), more.err());
        assertTrue(Files.isDirectory(dir.resolve("r/checkpoints/step-000006")));

        Outcome wider = train("r", "--resume", "--set", "train.steps=8", "--set", "model.d_model=64");
        assertEquals(2, wider.code());
        assertTrue(wider.err().contains("model.d_model: checkpoint 32, now 64"), wider.err());

        Outcome again = train("r", "--set", "train.steps=8");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already has checkpoints; continue it with `tlab resume"), again.err());
        assertEquals(0, train("r", "--resume", "--set", "train.steps=8").code());
    }

    @Test
    void resumeOfNothingIsANamedError() {
        Outcome none = run("resume", dir.resolve("missing").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().startsWith("error: no checkpoint found: " + dir.resolve("missing") + " does not exist"), none.err());
        Outcome fresh = train("never", "--resume", "--set", "train.steps=2");
        assertEquals(2, fresh.code());
        assertTrue(fresh.err().startsWith("error: no checkpoint found"), fresh.err());
    }

    @Test
    void finetuneTrainsFromACheckpointAndExplainsItsErrors() {
        assertEquals(0, train("base", "--set", "train.steps=2").code());
        Outcome noFrom = run("finetune", "../configs/finetune-pride.yaml");
        assertEquals(2, noFrom.code());
        assertTrue(noFrom.err().contains("Missing required option: '--from=CHECKPOINT'"), noFrom.err());

        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("finetune", "../configs/finetune-pride.yaml",
                "--from", dir.resolve("base").toString(), "-q", "--set", "output.dir=" + dir, "--set", "train.steps=2",
                "--set", "finetune.freeze=[\"wte.*\"]"));
        args.addAll(java.util.List.of(TINY));
        Outcome tuned = run(args.toArray(String[]::new));
        assertEquals(0, tuned.code(), tuned.err());
        Outcome inspect = run("inspect", dir.resolve("finetune-pride").toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("fine-tuned  from " + dir.resolve("base/checkpoints/step-000002")), inspect.out());
        assertTrue(inspect.out().contains("frozen      wte.*"), inspect.out());

        args.addAll(java.util.List.of("--set", "finetune.vocab=reject", "--set", "name=rejected"));
        Outcome rejected = run(args.toArray(String[]::new));
        assertEquals(2, rejected.code());
        assertTrue(rejected.err().contains("finetune.vocab is reject"), rejected.err());

        Outcome wrongModel = run("finetune", "../configs/finetune-pride.yaml", "--from", dir.resolve("base").toString(),
                "--set", "output.dir=" + dir, "--set", "name=wrong-model", "--set", "train.device=cpu");
        assertEquals(2, wrongModel.code());
        assertTrue(wrongModel.err().contains("model.layers: checkpoint 1, now 4")
                && wrongModel.err().contains("model.d_model: checkpoint 32, now 128"), wrongModel.err());
    }

    @Test
    void inspectShowsStepConfigParametersAndLosses() throws Exception {
        assertEquals(0, train("seen", "--set", "train.steps=4", "--set", "checkpoint.every=2").code());
        Outcome shown = run("inspect", dir.resolve("seen").toString());
        assertEquals(0, shown.code(), shown.err());
        for (String part : new String[] {"step        4 of 4", "val loss    ", "best, at step", "d_model 32", "vocab 65",
            "wte.weight", "[65, 32]", "2,080", "h.0.attn.qkv.weight", "[96, 32]", "total: ", "step-000002",
            "step-000004", "best", "<- shown above", "DJL 0.36.0"}) {
            assertTrue(shown.out().contains(part), "inspect lacks '" + part + "':\n" + shown.out());
        }
        Outcome file = run("inspect", dir.resolve("seen/checkpoints/step-000004/model.safetensors").toString());
        assertEquals(0, file.code(), file.err());
        assertTrue(file.out().contains("wte.weight") && file.out().contains("F32"), file.out());

        Path broken = dir.resolve("seen/checkpoints/step-000004/model.safetensors");
        Files.write(broken, java.util.Arrays.copyOf(Files.readAllBytes(broken), 100));
        Outcome fallback = run("inspect", dir.resolve("seen").toString());
        assertEquals(0, fallback.code(), fallback.err());
        assertTrue(fallback.out().contains("step-000004  INCOMPLETE: " + broken + " has 100 bytes"), fallback.out());
        Outcome direct = run("inspect", broken.toString());
        assertEquals(2, direct.code());
        assertTrue(direct.err().startsWith("error: " + broken + ": corrupt or truncated safetensors file"), direct.err());
        Outcome missing = run("inspect", dir.resolve("nowhere").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void plotDrawsAMetricsFileAndNamesBadLines() throws Exception {
        Path metrics = dir.resolve("gpu-run/metrics.jsonl");
        Files.createDirectories(metrics.getParent());
        Files.writeString(metrics, """
                {"step":10,"lr":0.001,"train_loss":3.1}
                {"step":20,"lr":0.001,"train_loss":2.7,"val_loss":2.8}
                """);
        Outcome drawn = run("plot", metrics.getParent().toString());
        assertEquals(0, drawn.code(), drawn.err());
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(metrics.resolveSibling("loss.png").toFile());
        assertEquals(800, png.getWidth());
        assertEquals(500, png.getHeight());

        Files.writeString(metrics, "{\"step\":10,\"train_loss\":3.1}\n{\"step\":20,\"train_lo");
        Outcome broken = run("plot", metrics.toString(), "-o", dir.resolve("x.png").toString());
        assertEquals(2, broken.code());
        assertTrue(broken.err().startsWith("error: " + metrics + " line 2 is not JSON"), broken.err());
        Files.writeString(metrics, "{\"step\":10,\"lr\":0.001}\n");
        assertTrue(run("plot", metrics.toString()).err().contains("has no train_loss or val_loss values"));
        assertTrue(run("plot", dir.resolve("nowhere").toString()).err().startsWith("error: no metrics file at "));
    }
}
