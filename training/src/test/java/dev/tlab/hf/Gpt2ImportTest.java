package dev.tlab.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.Gpt2Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Importing the tiny GPT-2 fixture: logits against the independent PyTorch forward, layouts, refusals. */
class Gpt2ImportTest {

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"", "transformer."})
    void importedLogitsMatchTheIndependentForwardForBothNamings(String prefix) throws Exception {
        Path hf = Gpt2Fixture.copy(dir.resolve("hf"), name -> prefix + name);
        Path checkpoint = HfImport.run(hf, dir.resolve("run"), List.of());
        assertEquals(dir.resolve("run/checkpoints/step-000000"), checkpoint);
        JsonNode expected = Gpt2Fixture.expected();
        float[][] logits = Gpt2Fixture.logits(dir.resolve("run"), Gpt2Fixture.ints(expected.get("ids")));
        double worst = Gpt2Fixture.maxDifference(logits, expected);
        assertTrue(worst < 1e-4, "max |difference| " + worst);
        Gpt2Fixture.assertArgmax(logits, expected);
    }

    @Test
    void theCheckpointCarriesGpt2sTokenizerAndTheModelKeys() {
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        var state = CheckpointDirectory.readState(CheckpointDirectory.find(dir.resolve("run")));
        Gpt2Tokenizer gpt2 = Gpt2Tokenizer.get();
        assertEquals("gpt2", state.tokenizer().kind());
        assertEquals(gpt2.fingerprint(), state.tokenizer().fingerprint());
        assertEquals(gpt2.vocabSize(), state.tokenizer().vocabSize());
        JsonNode model = state.config().get("model");
        assertEquals("tanh", model.get("gelu").asText());
        assertEquals(1e-5, model.get("norm_eps").asDouble());
        assertEquals(32, model.get("context").asInt());
        assertEquals("gpt2", state.config().get("data").get("tokenizer").asText());
        assertTrue(state.parent().endsWith("(Hugging Face GPT-2)"), state.parent());
    }

    @Test
    void aShardedFolderImportsTheSame() throws Exception {
        Path hf = Files.createDirectories(dir.resolve("sharded"));
        Files.copy(Gpt2Fixture.dir().resolve("config.json"), hf.resolve("config.json"));
        Function<String, String> prefixed = name -> "transformer." + name;
        Gpt2Fixture.writeTensors(hf.resolve("model-00001-of-00002.safetensors"), prefixed, name -> name.startsWith("h.0."));
        Gpt2Fixture.writeTensors(hf.resolve("model-00002-of-00002.safetensors"), prefixed, name -> !name.startsWith("h.0."));
        ObjectNode index = Gpt2Fixture.JSON.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        SafeTensors.map(Gpt2Fixture.dir().resolve("model.safetensors")).entries().keySet().forEach(name ->
                map.put("transformer." + name, name.startsWith("h.0.") ? "model-00001-of-00002.safetensors"
                        : "model-00002-of-00002.safetensors"));
        Files.writeString(hf.resolve("model.safetensors.index.json"), index.toString());
        HfImport.run(hf, dir.resolve("sharded-run"), List.of());
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("single-run"), List.of());
        int[] ids = Gpt2Fixture.ints(Gpt2Fixture.expected().get("ids"));
        Gpt2Fixture.assertSameLogits(Gpt2Fixture.logits(dir.resolve("single-run"), ids),
                Gpt2Fixture.logits(dir.resolve("sharded-run"), ids));
    }

    @Test
    void theExactGeluMattersAtThisTolerance() throws Exception {
        Path hf = Gpt2Fixture.copy(dir.resolve("erf"), name -> name, c -> c.put("activation_function", "gelu"));
        HfImport.run(hf, dir.resolve("run"), List.of());
        JsonNode expected = Gpt2Fixture.expected();
        double worst = Gpt2Fixture.maxDifference(Gpt2Fixture.logits(dir.resolve("run"), Gpt2Fixture.ints(expected.get("ids"))), expected);
        assertTrue(worst > 1e-4, "erf GELU on tanh-trained weights is off by " + worst);
    }

    static Stream<Arguments> refusedFolders() {
        Function<String, String> same = name -> name;
        Consumer<ObjectNode> none = c -> {};
        return Stream.of(
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("activation_function", "relu"), List.of("activation_function 'relu'")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("vocab_size", 1000), List.of("vocab_size 1000")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.remove("n_layer"), List.of("n_layer is missing")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("n_head", 3), List.of("n_embd 16 is not divisible by n_head 3")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("tie_word_embeddings", false), List.of("tie_word_embeddings false")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("scale_attn_by_inverse_layer_idx", true),
                        List.of("scale_attn_by_inverse_layer_idx true")),
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("model_type", "gpt_neo"), List.of("model_type 'gpt_neo'")),
                // every mismatch at once, each tensor named
                Arguments.of(same, (Consumer<ObjectNode>) c -> c.put("n_positions", 64).put("n_inner", 32),
                        List.of("'wpe.weight' is [32, 16], config.json makes it [64, 16]",
                                "'h.0.mlp.c_fc.weight' is [16, 64], config.json makes it [16, 32]",
                                "'h.1.mlp.c_proj.weight' is [64, 16], config.json makes it [32, 16]")),
                Arguments.of((Function<String, String>) n -> n.equals("h.1.ln_2.bias") ? null : n, none,
                        List.of("missing [h.1.ln_2.bias]")),
                Arguments.of((Function<String, String>) n -> n.equals("ln_f.bias") ? "ln_g.bias" : n, none,
                        List.of("missing [ln_f.bias]", "tensors GPT-2 does not have: [ln_g.bias]")));
    }

    @ParameterizedTest
    @MethodSource("refusedFolders")
    void aFolderTlabCannotImportIsRefusedNamingTheKeyOrTensor(Function<String, String> rename, Consumer<ObjectNode> edit,
            List<String> named) throws Exception {
        Path hf = Gpt2Fixture.copy(dir.resolve("hf"), rename, edit);
        ConfigException e = assertThrows(ConfigException.class, () -> HfImport.run(hf, dir.resolve("run"), List.of()));
        for (String part : named) {
            assertTrue(e.getMessage().contains(part), "names " + part + ": " + e.getMessage());
        }
        assertTrue(!e.getMessage().contains("\n"), "one line");
        assertTrue(!Files.exists(dir.resolve("run")), "nothing written");
    }

    @Test
    void theModelSectionCannotBeOverridden() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of("model.norm_eps=0.001")));
        assertTrue(e.getMessage().startsWith("--set: the model section"), e.getMessage());
    }

    @Test
    void importStreamsTheTensorsInTlabsLayout() throws Exception {
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        var imported = SafeTensors.map(dir.resolve("run/checkpoints/step-000000/model.safetensors")).entries();
        var original = SafeTensors.map(Gpt2Fixture.dir().resolve("model.safetensors")).entries();
        assertArrayEquals(new long[] {48, 16}, imported.get("h.0.attn.qkv.weight").shape());
        assertArrayEquals(new long[] {16, 48}, original.get("h.0.attn.c_attn.weight").shape());
        assertArrayEquals(new long[] {16, 64}, imported.get("h.1.mlp.proj.weight").shape());
        assertTrue(imported.keySet().stream().noneMatch(n -> n.contains("c_attn") || n.endsWith("attn.bias")
                && !n.contains("qkv") && !n.contains("proj")), imported.keySet().toString());
        assertEquals(2 + 2 * 12 + 2, imported.size());
        assertEquals(Map.of(), SafeTensors.map(dir.resolve("run/checkpoints/step-000000/optimizer.safetensors")).entries());
    }
}
