package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.Bfloat16Support;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.optim.AdamW;
import dev.tlab.precision.HalfPrecisionStore;
import dev.tlab.precision.LossScaler;
import dev.tlab.precision.TrainingPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fp16 training on the CPU: float16 kernels are slow there, so the runs are short. */
class MixedPrecisionTest {

    @TempDir Path dir;

    private RunConfig small(String precision) {
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(
                "output.dir=" + dir, "name=" + precision, "train.device=cpu", "train.precision=" + precision,
                "model.layers=2", "model.d_model=64", "model.context=32", "train.batch_size=8",
                "train.steps=80", "train.warmup=10", "train.log_every=10", "train.eval_every=40",
                "train.eval_batches=4", "sample.tokens=20"));
    }

    @Test
    void fp16LossCurveFollowsFp32() throws Exception {
        List<Double> full = trainLosses(new Trainer(small("fp32"), null, false).fit());
        List<Double> half = trainLosses(new Trainer(small("fp16"), null, false).fit());
        assertEquals(full.size(), half.size());
        for (int i = 0; i < full.size(); i++) {
            assertEquals(full.get(i), half.get(i), 0.05, "train loss at logged row " + i + ": fp32 " + full + " fp16 " + half);
        }
        assertTrue(half.get(half.size() - 1) < half.get(0) - 0.8, "fp16 loss falls: " + half);
    }

    private static List<Double> trainLosses(Trainer.Result result) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(result.runDir().resolve("metrics.jsonl"))) {
            losses.add(new ObjectMapper().readTree(line).get("train_loss").asDouble());
        }
        return losses;
    }

    /** A loss scale that overflows float16 skips the step, leaves the weights alone and backs off. */
    @Test
    void overflowIsSkippedAndTheScaleBacksOff() {
        ModelConfig config = ModelConfig.builder().vocabSize(11).layers(1).heads(2).dModel(16).context(8).build();
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            Map<String, Parameter> parameters = model.namedParameters();
            AdamW optimizer = new AdamW(parameters, 0.9, 0.99, 1e-8, 0.1, AdamW.State.FRESH);
            HalfPrecisionStore store = new HalfPrecisionStore(manager, optimizer.packed());
            LossScaler scaler = new LossScaler(Math.pow(2, 40), 2000);
            NDArray tokens = manager.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(1, 8));
            float[] before = parameters.get("wte.weight").getArray().toFloatArray();
            int skipped = 0;
            for (int step = 0; step < 40; step++) {
                try (NDScope ignored = new NDScope()) {
                    double scale = scaler.scale();
                    TrainingStep.accumulate((s, micro) -> LmLoss.crossEntropy(model.forward(store, tokens, true), tokens), step, 1, scale,
                            TrainingListener.NONE);
                    optimizer.useGradients(store.gradients());
                    double norm = optimizer.gradientNorm() / scale;
                    store.endStep();
                    if (scaler.update(norm)) {
                        assertTrue(Double.isFinite(norm) && norm > 0, "gradient norm of a good step: " + norm);
                        optimizer.step(1e-3, 1 / scale);
                        break;
                    }
                    optimizer.discardGradients();
                    skipped++;
                    assertArrayEquals(before, parameters.get("wte.weight").getArray().toFloatArray(),
                            "a skipped step leaves the weights alone");
                }
            }
            assertTrue(skipped >= 20, "2^40 must overflow float16 until the scale falls near 2^16; skipped " + skipped);
            assertTrue(scaler.scale() < Math.pow(2, 40) / (1 << 20));
            assertFalse(java.util.Arrays.equals(before, parameters.get("wte.weight").getArray().toFloatArray()),
                    "the first good step updates the weights");
        }
    }

    /**
     * On a JNI library that cannot hold bfloat16 (DJL's own, as in CI) a bf16 config loads, and the
     * run refuses it as it starts, before anything is built or written, in one line with the reason.
     */
    @Test
    void bf16IsRefusedWithTheReason() {
        assumeFalse(Bfloat16Support.available(), "this JNI library maps bfloat16: Bf16Test trains with it");
        RunConfig run = small("bf16");
        ConfigException error = assertThrows(ConfigException.class, () -> new Trainer(run, null, false).fit());
        String message = error.getMessage();
        assertTrue(message.startsWith("train.precision: bf16 needs a DJL JNI library that maps bfloat16, and "), message);
        assertTrue(message.contains("abort the JVM") && message.contains("scripts/build-djl-jni.sh"), message);
        assertFalse(message.contains("\n"), "one line: " + message);
        assertFalse(Files.exists(run.runDir()), "nothing written for a refused run");
        assertEquals(message, assertThrows(ConfigException.class, () -> TrainingPrecision.require(run.train())).getMessage());
        TrainingPrecision.require(small("fp16").train());
    }
}
