package dev.tlab.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.inference.TrainedModel;
import dev.tlab.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LoRA runs over a small Shakespeare checkpoint: what trains, what is saved, resume and the base's identity. */
class LoraTrainingTest {

    private static final Path SHIPPED = Path.of("../configs/shakespeare-char.yaml");

    @TempDir static Path shared;
    @TempDir Path dir;
    private static Path parent;
    private NDManager manager;

    static RunConfig tiny(Path out, String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + out, "name=" + name, "train.device=cpu",
                "model.layers=2", "model.d_model=32", "model.heads=2", "model.context=16", "model.dropout=0.0",
                "train.batch_size=4", "train.grad_accum=2", "train.steps=6", "train.warmup=2", "train.lr=1e-2",
                "train.eval_every=4", "train.eval_batches=2", "train.log_every=1", "sample.tokens=0",
                "checkpoint.every=0", "checkpoint.keep=2"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(SHIPPED, all);
    }

    private static RunConfig lora(Path out, String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("finetune.method=lora", "finetune.lora.rank=4", "finetune.lora.alpha=8"));
        all.addAll(List.of(overrides));
        return tiny(out, name, all.toArray(String[]::new));
    }

    @BeforeAll
    static void trainParent() {
        parent = new Trainer(tiny(shared, "parent"), null, false).fit().runDir().resolve("checkpoints/step-000006");
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Map<String, NDArray> tensors(Path checkpoint, String file) {
        return SafeTensors.read(checkpoint.resolve(file), manager);
    }

    /** In float16 with the base held in float16 too, and in float32. */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "fp16"})
    void onlyTheAdapterTrainsAndTheBaseStaysBitIdentical(String precision) throws IOException {
        Map<String, NDArray> base = tensors(parent, CheckpointDirectory.MODEL_FILE);
        List<String> checked = new ArrayList<>();
        Path run = new Trainer(lora(dir, "lora-" + precision, "train.precision=" + precision,
                "finetune.base_precision=" + precision), null, false)
                .from(RunStart.finetune(parent))
                .onEnd(model -> model.namedParameters().forEach((name, p) -> {
                    NDArray now = p.getArray();
                    DataType held = precision.equals("fp16") ? DataType.FLOAT16 : DataType.FLOAT32;
                    assertEquals(held, now.getDataType(), name + " held in " + precision);
                    assertFalse(now.hasGradient() && now.getGradient().abs().sum().getFloat() != 0, name + " has no gradient");
                    assertArrayEquals(base.get(name).toType(held, false).toFloatArray(), now.toFloatArray(), name);
                    checked.add(name);
                }))
                .fit().runDir();
        assertEquals(base.keySet(), new java.util.HashSet<>(checked), "every base tensor compared");
        Path checkpoint = run.resolve("checkpoints/step-000006");
        Map<String, NDArray> adapter = tensors(checkpoint, CheckpointDirectory.MODEL_FILE);
        // 2 layers x (q, k, v, o, up, down) x (A, B)
        assertEquals(24, adapter.size(), adapter.keySet().toString());
        for (var entry : adapter.entrySet()) {
            assertTrue(entry.getKey().matches("h\\.\\d\\.(attn\\.qkv|attn\\.proj|mlp\\.fc|mlp\\.proj)\\.lora_[ab]\\.\\w+"), entry.getKey());
            if (entry.getKey().contains(".lora_b.")) {
                assertTrue(entry.getValue().abs().max().getFloat() > 0, entry.getKey() + " trained away from zero");
            }
        }
        Map<String, NDArray> moments = tensors(checkpoint, CheckpointDirectory.OPTIMIZER_FILE);
        assertEquals(48, moments.size());
        moments.keySet().forEach(name -> assertTrue(name.contains(".lora_"), name + ": moments only for the adapter"));
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        assertNotNull(state.base());
        assertEquals(parent.toAbsolutePath().normalize().toString(), state.base().path());
        assertEquals(Map.of(CheckpointDirectory.MODEL_FILE, DurableFiles.sha256(parent.resolve(CheckpointDirectory.MODEL_FILE))),
                state.base().files());
        assertEquals(32, state.base().config().path("model").path("d_model").asInt());
    }

    @Test
    void aLoraCheckpointSamplesThroughItsBase() {
        Path run = new Trainer(lora(dir, "to-sample"), null, false).from(RunStart.finetune(parent)).fit().runDir();
        long[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] tuned;
        float[] base;
        try (TrainedModel model = TrainedModel.load(run, Device.cpu())) {
            assertNotNull(model.lora());
            tuned = logits(model, ids);
            assertNotNull(model.sampler());
        }
        try (TrainedModel model = TrainedModel.load(parent, Device.cpu())) {
            base = logits(model, ids);
        }
        assertFalse(java.util.Arrays.equals(tuned, base), "the adapter is applied");
    }

    private static float[] logits(TrainedModel model, long[] ids) {
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu())) {
            NDArray tokens = scratch.create(ids, new Shape(1, ids.length));
            return model.decoder().forward(new ParameterStore(scratch, false), tokens, false).toFloatArray();
        }
    }

    @Test
    void aResumedLoraRunIsBitIdenticalToAnUninterruptedOne() throws IOException {
        String[] settings = {"train.steps=8", "checkpoint.every=4", "finetune.lora.dropout=0.1", "finetune.lora.targets=[q, v, up]"};
        Path straight = new Trainer(lora(dir, "straight", settings), null, false).from(RunStart.finetune(parent)).fit().runDir();
        RunConfig run = lora(dir, "interrupted", settings);
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).from(RunStart.finetune(parent))
                .onStep((done, m) -> {
                    if (done == 6) {
                        throw new IllegalStateException("stop");
                    }
                }).fit());
        Path resumed = new Trainer(run, null, false).from(RunStart.resume(run.runDir())).fit().runDir();
        for (String file : List.of(CheckpointDirectory.MODEL_FILE, CheckpointDirectory.OPTIMIZER_FILE)) {
            assertEquals(DurableFiles.sha256(straight.resolve("checkpoints/step-000008").resolve(file)),
                    DurableFiles.sha256(resumed.resolve("checkpoints/step-000008").resolve(file)), file);
        }
        assertEquals(CheckpointDirectory.readState(straight.resolve("checkpoints/step-000008")).valLoss(),
                CheckpointDirectory.readState(resumed.resolve("checkpoints/step-000008")).valLoss());
    }

    @Test
    void aBaseThatChangedIsRefusedNamingTheFile() throws IOException {
        Path copy = dir.resolve("base-copy");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(parent)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path run = new Trainer(lora(dir, "moved-base", "train.steps=4", "checkpoint.every=2"), null, false)
                .from(RunStart.finetune(copy)).fit().runDir();
        Path weights = copy.resolve(CheckpointDirectory.MODEL_FILE);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        RunConfig more = lora(dir, "moved-base", "train.steps=6", "checkpoint.every=2");
        var e = assertThrows(ConfigException.class, () -> new Trainer(more, null, false).from(RunStart.resume(run)).fit());
        assertTrue(e.getMessage().startsWith("the LoRA base changed: " + weights.toAbsolutePath().normalize() + " has SHA-256"),
                e.getMessage());
        var sampling = assertThrows(ConfigException.class, () -> TrainedModel.load(run, Device.cpu()));
        assertTrue(sampling.getMessage().contains(weights.toAbsolutePath().normalize().toString()), sampling.getMessage());
    }

    @Test
    void loraNeedsABaseAndKeepsItsVocabulary() {
        var scratch = assertThrows(ConfigException.class, () -> new Trainer(lora(dir, "scratch"), null, false).fit());
        assertTrue(scratch.getMessage().startsWith("finetune.method: lora trains an adapter over a trained model"),
                scratch.getMessage());
        var vocab = assertThrows(ConfigException.class, () -> new Trainer(lora(dir, "pride",
                "data.path=../examples/data/pride-and-prejudice/input.txt"), null, false).from(RunStart.finetune(parent)).fit());
        assertTrue(vocab.getMessage().startsWith("finetune.method: lora keeps the base's vocabulary"), vocab.getMessage());
        var gate = assertThrows(ConfigException.class, () -> new Trainer(lora(dir, "gate", "finetune.lora.targets=[gate]"),
                null, false).from(RunStart.finetune(parent)).fit());
        assertTrue(gate.getMessage().startsWith("finetune.lora.targets: 'gate': the model has no such projection"),
                gate.getMessage());
    }
}
