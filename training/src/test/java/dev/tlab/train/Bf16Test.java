package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.layers.Bfloat16Support;
import dev.tlab.layers.Precision;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.norm.NormPlacement;
import dev.tlab.optim.AdamW;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import dev.tlab.precision.HalfPrecisionStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bf16 training, on a JNI library that maps bfloat16 (scripts/build-djl-jni.sh; on a CPU torch
 * scripts/cpu-torch-env.sh). Tagged bf16: left out by default, run by the GPU bundle's run.sh test,
 * and skipped where {@link Bfloat16Support} says no. Exact resume in bf16: ResumeTest.
 */
@Tag("bf16")
class Bf16Test {

    @TempDir Path dir;

    @BeforeEach
    void needsBfloat16() {
        assumeTrue(Bfloat16Support.available(), () -> "no bfloat16: " + Bfloat16Support.unavailableReason());
    }

    /** The baby model of MixedPrecisionTest, 100 steps; on a GPU where there is one (the bundle's run.sh test). */
    private RunConfig small(String precision) {
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(
                "output.dir=" + dir, "name=" + precision, "train.device=auto", "train.precision=" + precision,
                "model.layers=2", "model.d_model=64", "model.context=32", "train.batch_size=8",
                "train.steps=100", "train.warmup=10", "train.log_every=10", "train.eval_every=50",
                "train.eval_batches=4", "sample.tokens=20"));
    }

    @Test
    void bf16LossCurveFollowsFp32() throws Exception {
        List<JsonNode> full = rows(new Trainer(small("fp32"), null, false).fit());
        List<JsonNode> half = rows(new Trainer(small("bf16"), null, false).fit());
        assertEquals(full.size(), half.size());
        StringBuilder table = new StringBuilder();
        for (int i = 0; i < full.size(); i++) {
            table.append(String.format(java.util.Locale.ROOT, "%n  step %3d  fp32 %.4f  bf16 %.4f",
                    full.get(i).get("step").asLong(), loss(full.get(i)), loss(half.get(i))));
        }
        System.out.println("train loss, fp32 vs bf16:" + table);
        for (int i = 0; i < full.size(); i++) {
            // Measured within 0.001 on a CPU (docs/ARCHITECTURE.md); 0.01 leaves room for GPU kernels.
            assertEquals(loss(full.get(i)), loss(half.get(i)), 0.01, "train loss at logged row " + i + ":" + table);
            // No loss scaling and no skipped steps in bfloat16.
            assertFalse(half.get(i).has("loss_scale"), half.get(i).toString());
            assertEquals(0, half.get(i).path("skipped_steps").asInt(0), half.get(i).toString());
        }
        assertTrue(loss(half.get(half.size() - 1)) < loss(half.get(0)) - 0.8, "bf16 loss falls:" + table);
        double fullVal = full.get(full.size() - 1).get("val_loss").asDouble();
        double halfVal = half.get(half.size() - 1).get("val_loss").asDouble();
        System.out.printf(java.util.Locale.ROOT, "val loss at step 100: fp32 %.4f, bf16 %.4f%n", fullVal, halfVal);
        assertEquals(fullVal, halfVal, 0.01, "val loss at the end");
    }

    /** The encoder and the encoder-decoder in bf16, end to end: training, evaluation and their samples. */
    @Test
    void encoderAndEncoderDecoderTrainInBf16() throws Exception {
        List<String> tiny = List.of("output.dir=" + dir, "train.device=auto", "train.precision=bf16", "model.layers=2",
                "model.d_model=32", "model.heads=4", "model.context=16", "train.batch_size=16", "train.warmup=5",
                "train.lr=3e-3", "train.eval_batches=2");
        List<String> reverse = new ArrayList<>(tiny);
        reverse.addAll(List.of("name=rev", "data.task=reverse", "data.min_length=2", "data.max_length=3",
                "train.steps=150", "train.eval_every=150", "sample.tokens=0"));
        Trainer.Result rev = new Trainer(ConfigLoader.parse("{}", "test.yaml", Path.of("../configs").toAbsolutePath(), "t",
                reverse), null, false).fit();
        double exact = rev.evalMetrics().get("exact_match");
        System.out.printf(java.util.Locale.ROOT, "reverse in bf16, 150 steps: exact match %.3f, val loss %.4f%n", exact,
                rev.valLoss());
        // Chance is about 1/26^2; fp32 gets past 0.2 here (TasksTest), bf16 got 0.24 on a CPU.
        assertTrue(exact > 0.1, "exact match " + exact);
        assertTrue(Files.readString(rev.runDir().resolve("samples.txt")).contains(" -> "));
        List<String> masked = new ArrayList<>(tiny);
        masked.addAll(List.of("name=mlm", "data.task=mlm", "train.steps=40", "train.eval_every=40", "sample.tokens=0"));
        Trainer.Result mlm = new Trainer(ConfigLoader.parse("{}", "test.yaml", Path.of("../configs").toAbsolutePath(), "t",
                masked), null, false).fit();
        System.out.printf(java.util.Locale.ROOT, "mlm in bf16, 40 steps: val loss %.4f%n", mlm.valLoss());
        assertTrue(Double.isFinite(mlm.valLoss()) && mlm.valLoss() < Math.log(mlm.model().vocabSize()), "val loss " + mlm.valLoss());
    }

    private static double loss(JsonNode row) {
        return row.get("train_loss").asDouble();
    }

    private static List<JsonNode> rows(Trainer.Result result) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(result.runDir().resolve("metrics.jsonl"))) {
            rows.add(new ObjectMapper().readTree(line));
        }
        return rows;
    }

    /**
     * The blocks see bfloat16 copies of the optimizer's float32 masters, so the forward runs in
     * bfloat16; the gradients come back widened to float32, and both track a float32 step for every
     * positional scheme and norm placement.
     */
    @Test
    void blocksComputeInBfloat16OverFloat32Masters() {
        for (PositionalKind kind : PositionalKind.values()) {
            for (NormPlacement placement : NormPlacement.values()) {
                ModelConfig config = ModelConfig.builder().vocabSize(11).layers(2).heads(2).context(6).dModel(16)
                        .positional(kind).normPlacement(placement)
                        .norm(placement == NormPlacement.PRE ? NormType.LAYERNORM : NormType.RMSNORM).build();
                float[][] full = run(config, false);
                float[][] half = run(config, true);
                for (int part = 0; part < 2; part++) {
                    String what = kind + "/" + placement + (part == 0 ? " logits" : " gradient of every weight");
                    // Measured: logits within 1.3%, gradients within 0.7% of float32 (bfloat16 keeps 8 bits).
                    assertClose(full[part], half[part], part == 0 ? 0.03 : 0.02, what);
                }
            }
        }
    }

    /** Logits and every gradient, flattened in the optimizer's group order, after one forward and backward. */
    private static float[][] run(ModelConfig config, boolean half) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            AdamW optimizer = new AdamW(model.namedParameters(), 0.9, 0.99, 1e-8, 0.1, AdamW.State.FRESH);
            HalfPrecisionStore store = half ? new HalfPrecisionStore(manager, optimizer.packed(), DataType.BFLOAT16) : null;
            ParameterStore ps = half ? store : new ParameterStore(manager, false);
            NDArray tokens = manager.create(new long[] {1, 4, 2, 9, 3, 7, 5, 0, 8, 8, 2, 1}, new Shape(2, 6));
            NDArray logits;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(ps, tokens, true);
                assertEquals(half ? DataType.BFLOAT16 : DataType.FLOAT32, out.getDataType(), "the model's output");
                logits = Precision.widen(out);
                collector.backward(logits.logSoftmax(-1).get(":, :, 0").sum().neg());
            }
            NDList grads = new NDList();
            if (half) {
                for (AdamW.Packed group : optimizer.packed()) {
                    assertEquals(DataType.FLOAT32, group.weights().getDataType(), "the masters");
                    for (Parameter parameter : group.parameters()) {
                        NDArray copy = store.getValue(parameter, manager.getDevice(), true);
                        assertEquals(DataType.BFLOAT16, copy.getDataType(), parameter.getName() + " as the blocks see it");
                    }
                }
                for (NDArray gradient : store.gradients()) {
                    assertEquals(DataType.FLOAT32, gradient.getDataType(), "a widened gradient");
                    grads.add(gradient);
                }
                store.endStep();
            } else {
                for (AdamW.Packed group : optimizer.packed()) {
                    group.parameters().forEach(p -> grads.add(p.getArray().getGradient().flatten()));
                }
            }
            return new float[][] {logits.toFloatArray(), NDArrays.concat(grads).toFloatArray()};
        }
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        System.out.printf(java.util.Locale.ROOT, "%s: largest difference bf16 vs fp32 %.3g at scale %.3g (%.2f%%)%n", what,
                worst, scale, 100 * worst / scale);
        assertTrue(worst < relative * scale, what + ": largest difference bf16 vs fp32 " + worst + " at scale " + scale);
    }
}
