package dev.tlab.ablation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.errors.ConfigException;
import dev.tlab.metrics.RunSummary;
import dev.tlab.norm.NormPlacement;
import dev.tlab.positional.PositionalKind;
import dev.tlab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AblationTest {

    static final Path BASE = Path.of("../configs/shakespeare-char.yaml").toAbsolutePath().normalize();

    @TempDir Path dir;

    /** A spec whose runs take about a second each: one tiny block, 6 steps. */
    static Path tinySpec(Path dir, String grid, String extra) throws Exception {
        Path spec = dir.resolve("tiny.yaml");
        Files.writeString(spec, String.join("\n",
                "base: " + BASE,
                "grid:",
                grid,
                "seeds: [1, 2]",
                "contexts: [2]",
                "set:",
                "  model.layers: 1",
                "  model.d_model: 16",
                "  model.heads: 2",
                "  model.context: 8",
                "  train.batch_size: 4",
                "  train.steps: 6",
                "  train.warmup: 1",
                "  train.eval_every: 3",
                "  train.eval_batches: 1",
                "  train.device: cpu",
                "  checkpoint.keep: 1",
                "  sample.tokens: 0",
                "  output.dir: " + dir.resolve("runs"),
                extra, ""));
        return spec;
    }

    private static String error(Path spec) {
        return assertThrows(ConfigException.class, () -> Sweep.plan(AblationSpec.load(spec))).getMessage();
    }

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void gridExpandsIntoEveryCombinationPerSeedNamedAfterItsSettings() throws Exception {
        Path spec = write("g.yaml", String.join("\n",
                "base: " + BASE,
                "name: lnpos",
                "grid:",
                "  model.norm_placement: [pre, post]",
                "  model.positional: [learned, rope, alibi]",
                "  train.warmup: [0, 100]",
                "seeds: [7, 8]",
                "set:",
                "  train.steps: 50",
                "  train.betas: [0.9, 0.95]",
                "  output.dir: " + dir.resolve("out"),
                ""));
        Sweep sweep = Sweep.plan(AblationSpec.load(spec));
        assertEquals(2 * 3 * 2 * 2, sweep.runs().size());
        assertEquals(12, sweep.settings().size());
        assertEquals(List.of("pre-learned-warmup0", "pre-learned-warmup100", "pre-rope-warmup0"),
                sweep.settings().subList(0, 3), "the first grid key varies slowest");
        assertEquals(dir.resolve("out/lnpos"), sweep.dir());
        // Seeds outermost: every setting at seed 7 before any at seed 8.
        assertEquals("pre-learned-warmup0-seed7", sweep.runs().get(0).name());
        assertEquals("post-alibi-warmup100-seed7", sweep.runs().get(11).name());
        assertEquals("pre-learned-warmup0-seed8", sweep.runs().get(12).name());

        Sweep.Run run = sweep.runs().stream().filter(r -> r.name().equals("post-rope-warmup0-seed8")).findFirst().orElseThrow();
        assertEquals(NormPlacement.POST, run.config().model().normPlacement());
        assertEquals(PositionalKind.ROPE, run.config().model().positional());
        assertEquals(0, run.config().train().warmup());
        assertEquals(8, run.config().train().seed());
        assertEquals(50, run.config().train().steps(), "set applies to every run");
        assertEquals(0.95, run.config().train().beta2(), "list values survive --set");
        assertEquals(4, run.config().model().layers(), "the base supplies the rest");
        assertEquals(dir.resolve("out/lnpos/post-rope-warmup0-seed8"), run.dir());
        assertEquals(Map.of("model.norm_placement", "post", "model.positional", "rope", "train.warmup", "0"), run.values());
        assertEquals(List.of("train.steps=50", "train.betas=[0.9,0.95]", "model.norm_placement=post",
                "model.positional=rope", "train.warmup=0", "train.seed=8", "output.dir=" + dir.resolve("out/lnpos"),
                "name=post-rope-warmup0-seed8"), run.overrides());
    }

    @Test
    void shippedSpecsExpand() {
        Sweep lnPos = Sweep.plan(AblationSpec.load(Path.of("../configs/ablations/ln-x-pos.yaml")));
        assertTrue(lnPos.settings().size() >= 8 && lnPos.runs().size() >= 16, lnPos.settings().toString());
        assertTrue(lnPos.settings().contains("post-alibi"), lnPos.settings().toString());
        Sweep warmup = Sweep.plan(AblationSpec.load(Path.of("../configs/ablations/warmup-x-ln.yaml")));
        assertTrue(warmup.settings().containsAll(List.of("warmup0-pre", "warmup100-post")), warmup.settings().toString());
        Sweep tokenizers = Sweep.plan(AblationSpec.load(Path.of("../configs/ablations/tokenizer.yaml")));
        assertEquals(List.of("char-steps1000-eval_every100", "bpe-vocab_size1024-steps430-eval_every43",
                "bpe-vocab_size4096-steps321-eval_every32", "gpt2-steps324-eval_every32"), tokenizers.settings());
    }

    @Test
    void aBundleSetsItsKeysTogetherUnderOneColumn() throws Exception {
        Path spec = tinySpec(dir, String.join("\n",
                "  tokenizer:",
                "    - {model.positional: rope, train.lr: 0.002}",
                "    - {model.positional: alibi, model.norm: rmsnorm}"), "");
        Sweep sweep = Sweep.plan(AblationSpec.load(spec));
        assertEquals(List.of("rope-lr0.002", "alibi-rmsnorm"), sweep.settings());
        Sweep.Run rope = sweep.runs().get(0);
        assertEquals("rope-lr0.002-seed1", rope.name());
        assertEquals(0.002, rope.config().train().lr());
        assertEquals("rope-lr0.002", rope.values().get("tokenizer"));
        Sweep.Run alibi = sweep.runs().get(1);
        assertEquals(1e-3, alibi.config().train().lr(), "the base's where the bundle is silent");
        assertEquals("rmsnorm", alibi.config().model().norm().toString());
        assertTrue(error(tinySpec(dir, "  tokenizer:\n    - {model.positional: rope}\n    - learned", ""))
                .contains("mixes values and mappings"));
        assertTrue(error(tinySpec(dir, "  model.norm:\n    - {model.positional: rope}", ""))
                .contains("a bundle's label is a plain name"));
        assertTrue(error(tinySpec(dir, "  t:\n    - {train.stepz: 3}", "")).contains("unknown grid key 'train.stepz'"));
        assertTrue(error(tinySpec(dir, "  t:\n    - {train.steps: 3}\n    - {train.steps: 4}", ""))
                .contains("'train.steps' is both in grid and in set"));
    }

    @Test
    void unknownGridKeyIsRejectedWithTheValidKeys() throws Exception {
        String message = error(write("bad.yaml", "base: " + BASE + "\ngrid:\n  model.placement: [pre, post]\n"));
        assertTrue(message.contains("bad.yaml: unknown grid key 'model.placement'; valid keys: "), message);
        assertTrue(message.contains("model.norm_placement") && message.contains("train.warmup")
                && message.contains("data.val_fraction"), message);
        assertFalse(message.contains("train.seed,"), "train.seed is varied through seeds:, not the grid: " + message);
    }

    @Test
    void otherSpecMistakesAreNamed() throws Exception {
        assertTrue(error(write("a.yaml", "base: " + BASE + "\ngrid:\n  model.layers: [1]\nseed: [1]\n"))
                .contains("unknown spec key 'seed'; valid keys: base, name, grid, seeds, set, contexts"));
        assertTrue(error(write("b.yaml", "base: " + BASE + "\ngrid:\n  model.layers: [1]\nset:\n  train.stepz: 3\n"))
                .contains("unknown set key 'train.stepz'; valid keys: "));
        assertTrue(error(write("c.yaml", "base: " + BASE + "\ngrid:\n  train.seed: [1, 2]\n"))
                .contains("seeds are listed under seeds:"));
        assertTrue(error(write("d.yaml", "base: " + BASE + "\ngrid:\n  model.layers: 2\n"))
                .contains("'model.layers' needs a non-empty list of values"));
        assertTrue(error(write("e.yaml", "base: nowhere.yaml\ngrid:\n  model.layers: [1]\n")).contains("base: config not found"));
        String badValue = error(write("f.yaml", "base: " + BASE + "\ngrid:\n  model.positional: [learned, spiral]\n"));
        assertTrue(badValue.contains("run spiral-seed1") && badValue.contains("allowed: learned, sinusoidal"), badValue);
    }

    @Test
    void interruptedSweepContinuesAndSkipsCompleteRuns() throws Exception {
        Path spec = tinySpec(dir, "  model.positional: [learned, rope]", "");
        Sweep sweep = Sweep.plan(AblationSpec.load(spec));
        List<String> started = new ArrayList<>();
        // The third run dies half-way, as if the machine went down.
        Ablation.Training dying = config -> {
            started.add(config.name());
            Trainer trainer = new Trainer(config, null, false);
            if (started.size() == 3) {
                trainer.onStep((done, manager) -> {
                    if (done == 4) {
                        throw new IllegalStateException("power cut");
                    }
                });
            }
            trainer.fit();
        };
        var cut = assertThrows(IllegalStateException.class, () -> new Ablation(sweep, null, false).training(dying).run("test"));
        assertEquals("power cut", cut.getMessage());
        assertEquals(List.of("learned-seed1", "rope-seed1", "learned-seed2"), started);
        Path half = sweep.dir().resolve("learned-seed2");
        assertTrue(Files.isRegularFile(half.resolve("metrics.jsonl")), "the cut run started");
        assertFalse(Files.exists(half.resolve(RunSummary.FILE)), "but is not complete");
        long firstDone = Files.getLastModifiedTime(sweep.dir().resolve("learned-seed1").resolve(RunSummary.FILE)).toMillis();

        Ablation.Report report = new Ablation(Sweep.plan(AblationSpec.load(spec)), null, false).run("test");
        assertEquals(List.of("learned-seed1", "rope-seed1"), report.skipped());
        assertEquals(List.of("learned-seed2", "rope-seed2"), report.trained());
        assertTrue(report.missing().isEmpty());
        assertEquals(firstDone, Files.getLastModifiedTime(sweep.dir().resolve("learned-seed1").resolve(RunSummary.FILE)).toMillis(),
                "a complete run is not trained again");

        List<String> csv = Files.readAllLines(sweep.dir().resolve("results.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("setting,model.positional,seeds,final_val_loss_mean,final_val_loss_std,"
                + "best_val_loss_mean,best_val_loss_std,tokens_per_s_mean"), csv.get(0));
        assertTrue(csv.get(0).endsWith("val_loss_ctx2x_mean,val_loss_ctx2x_std"), csv.get(0));
        String[] rope = csv.get(2).split(",");
        assertEquals("rope", rope[0]);
        assertEquals("2", rope[2]);
        double mean = (RunSummary.read(sweep.dir().resolve("rope-seed1")).orElseThrow().valLoss()
                + RunSummary.read(sweep.dir().resolve("rope-seed2")).orElseThrow().valLoss()) / 2;
        assertEquals(mean, Double.parseDouble(rope[3]), 1e-5, "final val loss is the mean over seeds");
        assertTrue(Double.parseDouble(rope[rope.length - 2]) > 0, "rope extrapolates to 2x: " + csv.get(2));
        String[] learned = csv.get(1).split(",", -1);
        assertEquals("", learned[learned.length - 2], "learned positions have no 2x figure");
        String md = Files.readString(sweep.dir().resolve("results.md"));
        assertTrue(md.contains("| learned | learned | 2/2 |") && md.contains("n/a: past the learned table"), md);
        assertTrue(md.contains(" ± "), md);
        if (dev.tlab.metrics.Plots.supported()) {
            var curves = javax.imageio.ImageIO.read(sweep.dir().resolve("curves.png").toFile());
            assertTrue(curves.getWidth() >= 800, "curves.png is an image");
        } else {
            assertTrue(Files.notExists(sweep.dir().resolve("curves.png")), "no plot without java.desktop");
        }
    }

    @Test
    void completeRunWithAnotherConfigIsNotReused() throws Exception {
        Path spec = tinySpec(dir, "  model.positional: [rope]", "");
        new Ablation(Sweep.plan(AblationSpec.load(spec)), null, false).run("test");
        Files.writeString(spec, Files.readString(spec).replace("train.steps: 6", "train.steps: 7"));
        var e = assertThrows(ConfigException.class,
                () -> new Ablation(Sweep.plan(AblationSpec.load(spec)), null, false).run("test"));
        assertTrue(e.getMessage().contains("rope-seed1 is complete but was trained with another config (train.steps: trained 6, planned 7)"),
                e.getMessage());
    }

    @Test
    void statsAreMeanAndSampleStd() {
        Results.Stat s = Results.Stat.of(List.of(1.0, 2.0, 3.0, Double.NaN));
        assertEquals(2.0, s.mean(), 1e-12);
        assertEquals(1.0, s.std(), 1e-12);
        assertEquals(3, s.n());
        assertEquals(0.0, Results.Stat.of(List.of(5.0)).std());
        assertEquals(0, Results.Stat.of(List.of()).n());
    }

    @Test
    void valuesSurviveTheCommandLine() {
        var yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
        for (String value : List.of("pre", "1.0e-3", "1.0e-8", "0", "true", "[0.9, 0.95]", "'with space'", "'123'", "'yes'")) {
            try {
                var node = yaml.readTree(value);
                String flowed = Sweep.flow(node);
                var back = yaml.readTree(flowed);
                assertEquals(node.isNumber() ? node.doubleValue() : node, back.isNumber() ? back.doubleValue() : back, value + " -> " + flowed);
                assertEquals(node.getNodeType(), back.getNodeType(), value + " -> " + flowed);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        assertEquals("'a b'", Sweep.shellQuote("a b"));
        assertEquals("'train.betas=[0.9,0.95]'", Sweep.shellQuote("train.betas=[0.9,0.95]"));
    }

    @Test
    void commandLineOverridesReplaceTheSpecsSetButNotTheGrid() throws Exception {
        Path spec = tinySpec(dir, "  model.positional: [learned, rope]", "");
        Sweep sweep = Sweep.plan(AblationSpec.load(spec), List.of("train.steps=2", "model.norm=rmsnorm"));
        Sweep.Run run = sweep.runs().get(0);
        assertEquals(2, run.config().train().steps());
        assertEquals(1, run.overrides().stream().filter(o -> o.startsWith("train.steps=")).count(), run.overrides().toString());
        assertEquals(dev.tlab.norm.NormType.RMSNORM, run.config().model().norm());
        var e = assertThrows(ConfigException.class,
                () -> Sweep.plan(AblationSpec.load(spec), List.of("model.positional=alibi")));
        assertTrue(e.getMessage().contains("model.positional is set per run by the sweep"), e.getMessage());
    }

    @Test
    void specKeysAreTheDocumentedOnes() throws Exception {
        List<String> documented = new ArrayList<>();
        boolean inSpecs = false;
        for (String line : Files.readAllLines(Path.of("../docs/CONFIG.md"))) {
            if (line.startsWith("## ")) {
                inSpecs = line.equals("## Ablation specs");
            } else if (inSpecs && line.startsWith("| `")) {
                documented.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        assertEquals(AblationSpec.KEYS, documented);
    }
}
