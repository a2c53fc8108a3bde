package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.metrics.tensorboard.EventFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tlab.checkpoint.SafeTensors;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The health signals are read off the step; taking them must not change what the step does. */
class HealthSignalsTest {

    @TempDir Path dir;

    private RunConfig run(String name, String path, int logEvery) {
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of("output.dir=" + dir,
                "name=" + name, "train.device=cpu", "model.layers=1", "model.d_model=32", "model.heads=2",
                "model.context=16", "model.dropout=0.1", "train.batch_size=4", "train.steps=12", "train.warmup=2",
                "train.eval_every=12", "train.eval_batches=2", "sample.tokens=0", "train.log_every=" + logEvery, path));
    }

    /**
     * Logging every step measures the gradient norm (also without clipping) and the update ratios
     * on every step; logging only the first and last measures them twice. Weights and moments end
     * byte-identical.
     */
    @ParameterizedTest
    @ValueSource(strings = {"train.grad_clip=0", "train.grad_clip=1.0", "train.precision=fp16"})
    void loggingEveryStepLeavesTheWeightsBitIdentical(String path) throws Exception {
        Trainer.Result every = new Trainer(run("every", path, 1), null, false).fit();
        Trainer.Result rarely = new Trainer(run("rarely", path, 100), null, false).fit();
        assertEquals(rarely.valLoss(), every.valLoss());
        for (String file : List.of(CheckpointDirectory.MODEL_FILE, CheckpointDirectory.OPTIMIZER_FILE)) {
            assertArrayEquals(Files.readAllBytes(CheckpointDirectory.find(rarely.runDir()).resolve(file)),
                    Files.readAllBytes(CheckpointDirectory.find(every.runDir()).resolve(file)), file);
        }

        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(every.runDir().resolve("metrics.jsonl"))) {
            rows.add(new ObjectMapper().readTree(line));
        }
        assertEquals(12, rows.size());
        for (JsonNode row : rows) {
            assertTrue(row.get("grad_norm").asDouble() > 0, row.toString());
            assertTrue(row.has("clipped"), row.toString());
            if (!path.contains("fp16") || row.path("skipped_steps").asInt() == 0) {
                double decay = row.path("update_ratio_decay").asDouble(-1);
                assertTrue(decay > 0 && decay < 1, "an update moves the weights a little: " + row);
                assertTrue(row.path("update_ratio_no_decay").asDouble(-1) > 0, row.toString());
            }
            assertEquals(path.contains("fp16"), row.has("loss_scale"), row.toString());
        }
        assertEquals(1, EventFile.files(every.runDir()).size(), "metrics.tensorboard is on by default");
    }

    /**
     * The logged update ratio is ||w_t - w_(t-1)|| / ||w_(t-1)|| of each AdamW group (decay: the
     * matrices; no decay: biases and gains), recomputed here from the checkpoint written after every
     * step. A ratio of the wrong group, of the gradient, or squared would differ.
     */
    @Test
    void updateRatiosAreTheWeightsRelativeChangeBetweenSteps() throws Exception {
        RunConfig config = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of("output.dir=" + dir,
                "name=ratios", "train.device=cpu", "model.layers=1", "model.d_model=32", "model.heads=2",
                "model.context=16", "train.batch_size=4", "train.steps=5", "train.warmup=2", "train.eval_every=5",
                "train.eval_batches=1", "sample.tokens=0", "train.log_every=1", "checkpoint.every=1", "checkpoint.keep=10"));
        Trainer.Result result = new Trainer(config, null, false).fit();
        List<String> lines = Files.readAllLines(result.runDir().resolve("metrics.jsonl"));
        Path checkpoints = result.runDir().resolve("checkpoints");
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int step = 2; step <= 5; step++) {
                Map<String, NDArray> before = SafeTensors.read(checkpoints.resolve(CheckpointDirectory.stepName(step - 1))
                        .resolve(CheckpointDirectory.MODEL_FILE), manager);
                Map<String, NDArray> after = SafeTensors.read(checkpoints.resolve(CheckpointDirectory.stepName(step))
                        .resolve(CheckpointDirectory.MODEL_FILE), manager);
                JsonNode row = new ObjectMapper().readTree(lines.get(step - 1));
                assertEquals(step, row.get("step").asInt());
                for (boolean decays : new boolean[] {true, false}) {
                    double change = 0;
                    double size = 0;
                    for (var entry : before.entrySet()) {
                        if ((entry.getValue().getShape().dimension() >= 2) != decays) {
                            continue;
                        }
                        float[] w0 = entry.getValue().toFloatArray();
                        float[] w1 = after.get(entry.getKey()).toFloatArray();
                        for (int i = 0; i < w0.length; i++) {
                            change += Math.pow((double) w1[i] - w0[i], 2);
                            size += Math.pow(w0[i], 2);
                        }
                    }
                    double expected = Math.sqrt(change) / Math.sqrt(size);
                    double logged = row.get(decays ? "update_ratio_decay" : "update_ratio_no_decay").asDouble();
                    assertEquals(expected, logged, 1e-3 * expected, "step " + step + (decays ? " decay" : " no decay"));
                }
            }
        }
    }
}
