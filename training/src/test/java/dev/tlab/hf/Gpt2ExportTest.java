package dev.tlab.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.config.ModelKeyVariants;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.FfnKind;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelKeys;
import dev.tlab.models.ModelType;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Export to the Hugging Face layout: exact names, shapes and bytes, a lossless round trip, refusals by key. */
class Gpt2ExportTest {

    @TempDir Path dir;

    @Test
    void exportThenImportGivesBitIdenticalLogitsAndTheHubsBytes() throws Exception {
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        List<String> said = new ArrayList<>();
        HfExport.run(dir.resolve("run"), dir.resolve("hf"), said::add);
        assertTrue(said.get(0).contains("no tokenizer files are written"), said.toString());
        assertFalse(Files.exists(dir.resolve("hf/tokenizer.json")));

        var exported = SafeTensors.map(dir.resolve("hf/model.safetensors"));
        assertEquals("pt", exported.header().metadata().get("format"));
        var original = SafeTensors.map(Gpt2Fixture.dir().resolve("model.safetensors"));
        List<String> expectedNames = new ArrayList<>();
        for (String name : original.entries().keySet()) {
            if (!Gpt2Layout.ignored(name)) {
                expectedNames.add("transformer." + name);
            }
        }
        assertEquals(expectedNames.stream().sorted().toList(), exported.entries().keySet().stream().sorted().toList());
        byte[] before = Files.readAllBytes(original.file());
        byte[] after = Files.readAllBytes(exported.file());
        for (var e : exported.entries().values()) {
            var o = original.entries().get(e.name().substring("transformer.".length()));
            assertEquals("F32", e.dtype(), e.name());
            assertArrayEquals(o.shape(), e.shape(), e.name());
            // Transposed on import and back on export: the very bytes of the hub layout.
            assertArrayEquals(java.util.Arrays.copyOfRange(before, (int) (original.header().dataStart() + o.begin()),
                    (int) (original.header().dataStart() + o.end())), java.util.Arrays.copyOfRange(after,
                    (int) (exported.header().dataStart() + e.begin()), (int) (exported.header().dataStart() + e.end())), e.name());
        }

        JsonNode config = Gpt2Fixture.JSON.readTree(dir.resolve("hf/config.json").toFile());
        assertEquals("GPT2LMHeadModel", config.get("architectures").get(0).asText());
        assertEquals("gelu_new", config.get("activation_function").asText());
        assertEquals(1e-5, config.get("layer_norm_epsilon").asDouble());
        assertEquals(32, config.get("n_positions").asInt());
        assertEquals(50256, config.get("eos_token_id").asInt());
        assertTrue(config.get("n_inner").isNull());

        HfImport.run(dir.resolve("hf"), dir.resolve("again"), List.of());
        int[] ids = Gpt2Fixture.ints(Gpt2Fixture.expected().get("ids"));
        Gpt2Fixture.assertSameLogits(Gpt2Fixture.logits(dir.resolve("run"), ids), Gpt2Fixture.logits(dir.resolve("again"), ids));
    }

    @Test
    void anExistingFolderIsNotOverwritten() throws Exception {
        HfImport.run(Gpt2Fixture.dir(), dir.resolve("run"), List.of());
        Files.createDirectories(dir.resolve("hf"));
        Files.writeString(dir.resolve("hf/config.json"), "{}");
        ConfigException e = assertThrows(ConfigException.class, () -> HfExport.run(dir.resolve("run"), dir.resolve("hf"), s -> {}));
        assertTrue(e.getMessage().contains("already has config.json"), e.getMessage());
    }

    static Stream<Arguments> inexpressible() {
        return Stream.of(
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.positional(PositionalKind.ROPE), "gpt2", "model.positional is rope"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.positional(PositionalKind.ALIBI), "gpt2", "model.positional is alibi"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.positional(PositionalKind.RELATIVE), "gpt2", "model.positional is relative"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.positional(PositionalKind.SINUSOIDAL), "gpt2", "model.positional is sinusoidal"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.norm(NormType.RMSNORM), "gpt2", "model.norm is rmsnorm"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.normPlacement(NormPlacement.POST), "gpt2", "model.norm_placement is post"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.normPlacement(NormPlacement.SANDWICH), "gpt2", "model.norm_placement is sandwich"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.ffn(FfnKind.SWIGLU), "gpt2", "model.ffn is swiglu"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.tieEmbeddings(false), "gpt2", "model.tie_embeddings is false"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.bias(false), "gpt2", "model.bias is false"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b.type(ModelType.ENCODER), "gpt2", "data.task trains an encoder"),
                Arguments.of((UnaryOperator<ModelConfig.Builder>) b -> b, "char", "data.tokenizer is char"));
    }

    @ParameterizedTest
    @MethodSource("inexpressible")
    void aModelGpt2CannotExpressIsRefusedNamingTheKey(UnaryOperator<ModelConfig.Builder> change, String tokenizer, String named) {
        ModelConfig model = change.apply(ModelConfig.builder().vocabSize(50257).layers(2).heads(2).dModel(16).context(32)).build();
        ConfigException e = assertThrows(ConfigException.class, () -> Gpt2Config.of(model, tokenizer));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    /**
     * Every model key is either let through (carried, or acting only with a setting GPT-2 lacks) or
     * has a value, valid for tlab, that export refuses by the key's name: a key added later fails
     * here until export knows it.
     */
    @Test
    void everyModelKeyIsCarriedOrRefusedByName() {
        for (String key : ModelKeys.keys()) {
            if (Gpt2Config.LET_THROUGH.contains(key)) {
                continue;
            }
            List<String> refusals = new ArrayList<>();
            for (String value : ModelKeyVariants.values(key)) {
                var run = ModelKeyVariants.tryLoad(List.of(), key, value);
                if (run == null) {
                    continue;
                }
                try {
                    Gpt2Config.of(run.model().forVocabulary(50257), "gpt2");
                } catch (ConfigException e) {
                    assertTrue(e.getMessage().contains("model." + key), key + "=" + value + ": " + e.getMessage());
                    refusals.add(value);
                }
            }
            assertFalse(refusals.isEmpty(), "model." + key + ": no value is refused by GPT-2 export, and it is not in "
                    + "Gpt2Config.LET_THROUGH; export does not know this key");
        }
    }

    @Test
    void aCharacterRunIsRefusedThroughTheCommandPathToo() throws Exception {
        // A run trained on characters: export stops before writing anything.
        var run = dev.tlab.config.ConfigLoader.parse("""
                model: {layers: 1, heads: 2, d_model: 8, context: 8}
                train: {steps: 1, batch_size: 2, eval_every: 1, eval_batches: 1, device: cpu, warmup: 0}
                sample: {tokens: 0}
                data: {path: %s}
                output: {dir: %s}
                """.formatted(write("text.txt", "hello world, hello tlab. ".repeat(40)), dir), "inline", dir, "chars", List.of());
        new dev.tlab.train.Trainer(run, null, false).fit();
        ConfigException e = assertThrows(ConfigException.class, () -> HfExport.run(dir.resolve("chars"), dir.resolve("hf"), s -> {}));
        assertTrue(e.getMessage().contains("data.tokenizer is char"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("hf")));
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }
}
