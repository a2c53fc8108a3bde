package dev.tlab.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.VocabularyRows;
import dev.tlab.checkpoint.WeightLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.hf.HfFolder;
import dev.tlab.hf.HfImport;
import dev.tlab.inference.TrainedModel;
import dev.tlab.lora.Lora;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA adapters made by peft 0.21 over a tiny Llama made by transformers (scripts/peft-fixture/peft_lora.py):
 * read into tlab they give peft's logits, and tlab's export of them is what peft wrote; a LoRA run of
 * tlab's own exports an adapter that reads back with the run's logits, and a merged model that does too.
 */
class PeftTest {

    static final Path BASE = Path.of("src/test/resources/hf-models/llama-tied");
    static final Path PEFT = Path.of("src/test/resources/peft");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    static long[] ids(JsonNode expected) {
        long[] ids = new long[expected.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = expected.get("ids").get(i).asLong();
        }
        return ids;
    }

    static float[] flat(JsonNode rows) {
        List<Float> out = new ArrayList<>();
        rows.forEach(row -> row.forEach(v -> out.add((float) v.asDouble())));
        float[] values = new float[out.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = out.get(i);
        }
        return values;
    }

    static float[] logits(DecoderLM model, long[] ids, NDManager manager) {
        NDArray tokens = manager.create(ids, new Shape(1, ids.length));
        return model.forward(new ParameterStore(manager, false), tokens, false).toFloatArray();
    }

    static void assertClose(float[] want, float[] got, double tolerance, String what) {
        assertEquals(want.length, got.length, what);
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= tolerance, what + ": logits differ by " + worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"all", "qv"})
    void aPeftAdapterGivesPeftsLogits(String name) throws IOException {
        JsonNode expected = JSON.readTree(PEFT.resolve(name).resolve("expected.json").toFile());
        HfFolder folder = HfFolder.open(BASE);
        ModelConfig config = HfImport.runConfig(folder, null, List.of()).model().forVocabulary(300);
        PeftAdapter adapter = PeftImport.read(PEFT.resolve(name), folder.config(), config);
        if (name.equals("all")) {
            assertEquals(4, adapter.spec().rank());
            assertEquals(8.0, adapter.spec().alpha());
            assertEquals(List.of("q", "k", "v", "o", "gate", "up", "down"), adapter.spec().targets());
        } else {
            assertEquals(2, adapter.spec().rank());
            assertEquals(5.0, adapter.spec().alpha());
            assertEquals(List.of("q", "v"), adapter.spec().targets());
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DecoderLM model = DecoderLM.create(config, manager);
            WeightLoader.loadWeights(folder, model.namedParameters(), manager, VocabularyRows.IDENTITY);
            float[] base = logits(model, ids(expected), manager);
            Lora lora = Lora.attach(model, adapter.spec(), manager);
            WeightLoader.loadWeights(adapter.weights(), lora.parameters(), manager, VocabularyRows.IDENTITY);
            float[] adapted = logits(model, ids(expected), manager);
            assertClose(flat(expected.get("logits")), adapted, 1e-4, name);
            assertFalse(java.util.Arrays.equals(base, adapted));
        }
    }

    private RunConfig run(String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("data.path=" + Path.of("../examples/data/tinyshakespeare/input.txt")
                        .toAbsolutePath().normalize(), "data.cache=" + dir.resolve("cache"),
                "train.device=cpu", "train.batch_size=2", "train.grad_accum=1", "train.steps=2", "train.warmup=0",
                "train.eval_every=2", "train.eval_batches=1", "train.log_every=1", "sample.tokens=0", "checkpoint.every=0",
                "metrics.tensorboard=false"));
        all.addAll(List.of(overrides));
        return HfImport.runConfig(HfFolder.open(BASE), dir.resolve(name), all);
    }

    /** {@code tlab finetune --from BASE --adapter PEFT_DIR}, with a learning rate too small to move a weight. */
    @Test
    void aFineTuneStartsFromThePeftAdapterAndExportsItBackAsPeftWroteIt() throws IOException {
        JsonNode expected = JSON.readTree(PEFT.resolve("all/expected.json").toFile());
        RunStart start = HfImport.finetuneFrom(BASE);
        PeftAdapter adapter = PeftImport.forBase(start, BASE, PEFT.resolve("all"));
        List<String> overrides = new ArrayList<>(List.of("train.lr=1e-30", "train.min_lr=0"));
        overrides.addAll(adapter.overrides());
        Path runDir = new Trainer(run("continued", overrides.toArray(String[]::new)), null, false)
                .from(start.withAdapter(adapter.weights())).fit().runDir();
        try (TrainedModel trained = TrainedModel.load(runDir, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            assertClose(flat(expected.get("logits")), logits(trained.decoder(), ids(expected), manager), 1e-4, "continued");
        }
        Path out = dir.resolve("exported");
        LoraExport.peft(runDir, out, line -> {});
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> original = SafeTensors.read(PEFT.resolve("all/adapter_model.safetensors"), manager);
            Map<String, NDArray> exported = SafeTensors.read(out.resolve(PeftLayout.WEIGHTS), manager);
            assertEquals(original.keySet(), exported.keySet());
            original.forEach((name, tensor) -> assertArrayEquals(tensor.toFloatArray(), exported.get(name).toFloatArray(), name));
        }
        JsonNode config = JSON.readTree(out.resolve(PeftLayout.CONFIG).toFile());
        JsonNode peft = JSON.readTree(PEFT.resolve("all/adapter_config.json").toFile());
        for (String key : List.of("peft_type", "r", "lora_alpha", "bias", "fan_in_fan_out", "use_rslora", "use_dora")) {
            assertEquals(peft.get(key), config.get(key), key);
        }
        // peft's own targets are short (q_proj); tlab's keep the parent (self_attn.q_proj), so GPT-2's attn.c_proj and
        // mlp.c_proj stay apart. Both match the same modules by suffix.
        List<String> wanted = new ArrayList<>();
        peft.get("target_modules").forEach(t -> wanted.add(t.asText()));
        List<String> got = new ArrayList<>();
        config.get("target_modules").forEach(t -> got.add(t.asText().replaceFirst("^(self_attn|mlp)\\.", "")));
        assertEquals(wanted.stream().sorted().toList(), got.stream().sorted().toList());
        var refused = assertThrows(ConfigException.class, () -> LoraExport.peft(runDir, out, line -> {}));
        assertTrue(refused.getMessage().endsWith("already has adapter_config.json; export into a new or empty folder"));
    }

    /** A LoRA run of tlab's own: its peft export reads back with its logits, and so does the merged model. */
    @Test
    void aTrainedAdapterExportsAsPeftAndMerged() throws IOException {
        Path runDir = new Trainer(run("trained", "finetune.method=lora", "finetune.lora.rank=4", "finetune.lora.alpha=8",
                "finetune.lora.targets=[q, v, o, down]", "train.lr=0.05"), null, false)
                .from(HfImport.finetuneFrom(BASE)).fit().runDir();
        long[] ids = ids(JSON.readTree(PEFT.resolve("all/expected.json").toFile()));
        float[] tuned;
        float[] base;
        try (TrainedModel trained = TrainedModel.load(runDir, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            tuned = logits(trained.decoder(), ids, manager);
            trained.lora().detach();
            base = logits(trained.decoder(), ids, manager);
        }
        assertFalse(java.util.Arrays.equals(tuned, base), "the adapter trained");
        Path peftOut = dir.resolve("peft");
        LoraExport.peft(runDir, peftOut, line -> {});
        HfFolder folder = HfFolder.open(BASE);
        ModelConfig config = HfImport.runConfig(folder, null, List.of()).model().forVocabulary(300);
        PeftAdapter adapter = PeftImport.read(peftOut, folder.config(), config);
        assertEquals(List.of("q", "v", "o", "down"), adapter.spec().targets());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DecoderLM model = DecoderLM.create(config, manager);
            WeightLoader.loadWeights(folder, model.namedParameters(), manager, VocabularyRows.IDENTITY);
            Lora lora = Lora.attach(model, adapter.spec(), manager);
            WeightLoader.loadWeights(adapter.weights(), lora.parameters(), manager, VocabularyRows.IDENTITY);
            assertArrayEquals(tuned, logits(model, ids, manager), "the same factors");
        }
        Path merged = dir.resolve("merged");
        List<String> said = new ArrayList<>();
        LoraExport.merged(runDir, merged, said::add);
        assertTrue(said.get(0).contains("with its LoRA adapter merged in as Llama"), said.toString());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            HfFolder mergedFolder = HfFolder.open(merged);
            DecoderLM model = DecoderLM.create(config, manager);
            WeightLoader.loadWeights(mergedFolder, model.namedParameters(), manager, VocabularyRows.IDENTITY);
            assertClose(tuned, logits(model, ids, manager), 1e-4, "merged");
        }
        var e = assertThrows(ConfigException.class, () -> dev.tlab.hf.HfExport.run(runDir, dir.resolve("plain"), line -> {}));
        assertTrue(e.getMessage().contains("holds a LoRA adapter over"), e.getMessage());
    }

    /**
     * GPT-2 fuses q, k and v into c_attn as tlab does: the three adapters leave as one module whose A stacks
     * theirs and whose B is block-diagonal, rank and alpha scaled together, and read back with the same logits.
     */
    @Test
    void gpt2sFusedAttentionLeavesAsOneModuleAndReadsBack() throws IOException {
        Path gpt2 = Path.of("src/test/resources/gpt2-hf");
        HfFolder folder = HfFolder.open(gpt2);
        List<String> overrides = new ArrayList<>(List.of("data.path=" + Path.of("../examples/data/tinyshakespeare/input.txt")
                        .toAbsolutePath().normalize(), "data.cache=" + dir.resolve("cache"), "train.device=cpu",
                "train.batch_size=2", "train.grad_accum=1", "train.steps=2", "train.warmup=0", "train.lr=0.05",
                "train.eval_every=2", "train.eval_batches=1", "sample.tokens=0", "checkpoint.every=0",
                "metrics.tensorboard=false", "finetune.method=lora", "finetune.lora.rank=2", "finetune.lora.alpha=4",
                "finetune.lora.targets=[q, k, v]"));
        Path runDir = new Trainer(HfImport.runConfig(folder, dir.resolve("gpt2-lora"), overrides), null, false)
                .from(HfImport.finetuneFrom(gpt2)).fit().runDir();
        long[] ids = {464, 2068, 7586, 21831, 18045, 625, 262, 16931};
        float[] tuned;
        try (TrainedModel trained = TrainedModel.load(runDir, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            tuned = logits(trained.decoder(), ids, manager);
        }
        Path out = dir.resolve("gpt2-peft");
        LoraExport.peft(runDir, out, line -> {});
        JsonNode config = JSON.readTree(out.resolve(PeftLayout.CONFIG).toFile());
        assertTrue(config.get("fan_in_fan_out").asBoolean(), "Conv1D");
        assertEquals("[\"attn.c_attn\"]", config.get("target_modules").toString());
        assertEquals(6, config.get("rank_pattern").get("attn.c_attn").asInt());
        assertEquals(12, config.get("alpha_pattern").get("attn.c_attn").asInt());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> tensors = SafeTensors.read(out.resolve(PeftLayout.WEIGHTS), manager);
            assertEquals(new Shape(6, 16), tensors.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").getShape());
            NDArray b = tensors.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight");
            assertEquals(new Shape(48, 6), b.getShape());
            // Block-diagonal: q's rows use only the first two columns.
            assertEquals(0f, b.get("0:16, 2:").abs().sum().getFloat());
            assertTrue(b.get("0:16, 0:2").abs().sum().getFloat() > 0);
            ModelConfig model = HfImport.runConfig(folder, null, List.of()).model().forVocabulary(50257);
            PeftAdapter adapter = PeftImport.read(out, folder.config(), model);
            assertEquals(6, adapter.spec().rank());
            assertEquals(12.0, adapter.spec().alpha());
            DecoderLM decoder = DecoderLM.create(model, manager);
            WeightLoader.loadWeights(folder, decoder.namedParameters(), manager, VocabularyRows.IDENTITY);
            Lora lora = Lora.attach(decoder, adapter.spec(), manager);
            WeightLoader.loadWeights(adapter.weights(), lora.parameters(), manager, VocabularyRows.IDENTITY);
            assertClose(tuned, logits(decoder, ids, manager), 1e-5, "gpt2 round trip");
        }
    }
}
