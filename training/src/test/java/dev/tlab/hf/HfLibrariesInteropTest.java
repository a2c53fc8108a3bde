package dev.tlab.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tlab.checkpoint.SafeTensors;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tlab's Hugging Face files against the Hugging Face libraries themselves. Python is not needed
 * here: scripts/reference/interop.py ran transformers / tokenizers / safetensors on files tlab
 * wrote, and committed what they read in {@code dev/tlab/interop/}; these tests check that tlab
 * still writes the very bytes checked there, and reads the library-written fixtures to the values
 * the libraries reported.
 */
class HfLibrariesInteropTest {

    @TempDir Path dir;

    static JsonNode interop(String name) throws Exception {
        try (InputStream in = HfLibrariesInteropTest.class.getResourceAsStream("/dev/tlab/interop/" + name)) {
            return Gpt2Fixture.JSON.readTree(in);
        }
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /**
     * GPT2LMHeadModel.from_pretrained loaded tlab's export of the gpt2-hf fixture with no missing or
     * unexpected tensor and gave the fixture's own logits (within 2.4e-6); this is that export.
     */
    @Test
    void theExportTransformersCheckedIsTheExportTlabWrites() throws Exception {
        JsonNode check = interop("gpt2-export.json");
        assertTrue(check.get("ok").asBoolean() && check.get("argmax_equal").asBoolean()
                && check.get("max_logit_difference").asDouble() < 1e-4 && check.get("loading_problems").isEmpty(), check.toString());
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        HfExport.run(dir.resolve("run"), dir.resolve("hf"), said -> {});
        assertEquals(check.get("config.json").asText(), sha256(dir.resolve("hf/config.json")),
                "config.json differs from the one transformers loaded; rerun scripts/reference/interop.py export");
        assertEquals(check.get("model.safetensors").asText(), sha256(dir.resolve("hf/model.safetensors")),
                "model.safetensors differs from the one transformers loaded; rerun scripts/reference/interop.py export");
    }

    static Path interopFile(String name) throws Exception {
        return Path.of(HfLibrariesInteropTest.class.getResource("/dev/tlab/interop/" + name).toURI());
    }

    /** Files written by safetensors.torch.save_file (F32, F16, I64, metadata) and by save_pretrained. */
    @Test
    void filesTheSafetensorsLibraryAndSavePretrainedWroteReadAsTheLibraryReadsThem() throws Exception {
        JsonNode expected = interop("safetensors.json");
        Map<String, String> files = Map.of("library", "safetensors-library.safetensors",
                "save_pretrained", "save-pretrained/model.safetensors");
        for (var file : files.entrySet()) {
            JsonNode want = expected.get(file.getKey());
            Path path = interopFile(file.getValue());
            assertEquals(Gpt2Fixture.JSON.convertValue(want.get("metadata"), Map.class), SafeTensors.header(path).metadata(),
                    file.getKey() + " metadata");
            try (NDManager manager = NDManager.newBaseManager()) {
                Map<String, NDArray> read = SafeTensors.read(path, manager);
                assertEquals(want.get("tensors").size(), read.size(), file.getKey());
                want.get("tensors").fields().forEachRemaining(e -> {
                    NDArray array = read.get(e.getKey());
                    String what = file.getKey() + " " + e.getKey();
                    assertTrue(array != null, what + " missing");
                    assertEquals(e.getValue().get("dtype").asText(), dtype(array.getDataType()), what);
                    assertEquals(e.getValue().get("shape").toString(), java.util.Arrays.toString(array.getShape().getShape())
                            .replace(" ", ""), what);
                    double[] values = array.toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int i = 0; i < e.getValue().get("values").size(); i++) {
                        assertEquals(e.getValue().get("values").get(i).asDouble(), values[i], 0.0, what + "[" + i + "]");
                    }
                    assertEquals(e.getValue().get("sum").asDouble(), java.util.Arrays.stream(values).sum(), 1e-9, what + " sum");
                });
            }
        }
    }

    /** safe_open read tlab's export (the file whose bytes the export test pins) to these tensors. */
    @Test
    void safeOpenReadsTheFilesTlabWrites() throws Exception {
        JsonNode check = interop("safetensors-read.json").get("model.safetensors");
        assertEquals(interop("gpt2-export.json").get("model.safetensors").asText(), check.get("sha256").asText(),
                "safe_open read the export transformers loaded");
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        HfExport.run(dir.resolve("run"), dir.resolve("hf"), said -> {});
        Path exported = dir.resolve("hf/model.safetensors");
        assertEquals(check.get("sha256").asText(), sha256(exported));
        assertEquals(Map.of("format", "pt"), SafeTensors.header(exported).metadata());
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> read = SafeTensors.read(exported, manager);
            assertEquals(check.get("tensors").size(), read.size());
            check.get("tensors").fields().forEachRemaining(e -> {
                NDArray array = read.get(e.getKey());
                assertEquals(e.getValue().get("dtype").asText(), dtype(array.getDataType()), e.getKey());
                double sum = java.util.Arrays.stream(array.toType(DataType.FLOAT64, false).toDoubleArray()).sum();
                assertEquals(e.getValue().get("sum").asDouble(), sum, 1e-9 * Math.max(1, Math.abs(sum)), e.getKey());
            });
        }
    }

    /** GPT-2 shards written by save_pretrained(max_shard_size=...) in float16 import with transformers' logits. */
    @Test
    void shardsSavePretrainedWroteImportWithTransformersLogits() throws Exception {
        JsonNode expected = interop("gpt2-shards.json");
        Path shards = interopFile("gpt2-shards/config.json").getParent();
        assertTrue(expected.get("shards").size() >= 2, "more than one shard");
        HfImport.run(shards, dir.resolve("run"), List.of());
        int[] ids = Gpt2Fixture.ints(expected.get("ids"));
        float[][] logits = Gpt2Fixture.logits(dir.resolve("run"), ids);
        int[] columns = Gpt2Fixture.ints(expected.get("columns"));
        for (int t = 0; t < ids.length; t++) {
            for (int c = 0; c < columns.length; c++) {
                assertEquals(expected.get("logits").get(t).get(c).asDouble(), logits[t][columns[c]], 1e-4,
                        "position " + t + ", token " + columns[c]);
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits[t]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : logits[t]) {
                sum += Math.exp(v - max);
            }
            assertEquals(expected.get("logsumexp").get(t).asDouble(), max + Math.log(sum), 1e-4, "logsumexp at " + t);
        }
        Gpt2Fixture.assertArgmax(logits, expected);
    }

    /**
     * A bpe run's exported tokenizer.json, loaded by Python's tokenizers, gave these ids; the same
     * run here exports the same bytes, and tlab's tokenizer gives the same ids and text back.
     */
    @Test
    void aBpeRunsExportedTokenizerLoadsInTokenizersWithTheSameIds() throws Exception {
        JsonNode check = interop("bpe-tokenizer.json");
        Path text = Files.writeString(dir.resolve("small.txt"),
                Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt")).substring(0, 50_000));
        var config = dev.tlab.config.ConfigLoader.parse("{}", "test.yaml", dir, "t", List.of("name=bpe", "output.dir=" + dir,
                "data.path=" + text, "data.tokenizer=bpe", "data.vocab_size=300", "data.cache=" + dir.resolve("cache"),
                "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=16", "train.steps=1",
                "train.batch_size=2", "train.eval_every=1", "train.eval_batches=1", "sample.tokens=0", "train.device=cpu",
                "train.warmup=0"));
        var result = new dev.tlab.train.Trainer(config, null, false).fit();
        HfExport.run(result.runDir(), dir.resolve("hf"), said -> {});
        Path exported = dir.resolve("hf").resolve(dev.tlab.tokenize.Tokenizer.FILE);
        assertEquals(check.get("tokenizer.json").asText(), sha256(exported),
                "tokenizer.json differs from the one tokenizers loaded; rerun scripts/reference/interop.py tokenizer");
        var tokenizer = dev.tlab.tokenize.ByteLevelBpe.load(exported);
        assertEquals(check.get("vocab_size").asInt(), tokenizer.vocabSize());
        for (JsonNode c : check.get("cases")) {
            String input = c.get("text").asText();
            int[] ids = tokenizer.encode(input);
            assertEquals(c.get("ids").toString(), java.util.Arrays.toString(ids).replace(" ", ""), input);
            assertEquals(c.get("decoded").asText(), tokenizer.decode(ids), input);
        }
    }

    private static String dtype(DataType type) {
        return switch (type) {
            case FLOAT32 -> "float32";
            case FLOAT16 -> "float16";
            case FLOAT64 -> "float64";
            case INT64 -> "int64";
            default -> type.toString();
        };
    }
}
