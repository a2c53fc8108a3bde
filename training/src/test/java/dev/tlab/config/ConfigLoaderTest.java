package dev.tlab.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.errors.ConfigException;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir Path dir;

    private static RunConfig parse(String yaml, String... overrides) {
        return ConfigLoader.parse(yaml, "test.yaml", Path.of("."), "test", List.of(overrides));
    }

    private static String error(String yaml, String... overrides) {
        return assertThrows(ConfigException.class, () -> parse(yaml, overrides)).getMessage();
    }

    @Test
    void shippedConfigIsTheBabyGpt() {
        RunConfig run = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of());
        assertEquals("shakespeare-char", run.name());
        assertEquals(4, run.model().layers());
        assertEquals(128, run.model().dModel());
        assertEquals(64, run.model().context());
        assertEquals(12, run.train().batchSize());
        assertEquals(2000, run.train().steps());
        assertEquals(0.99, run.train().beta2());
        assertTrue(Files.isRegularFile(run.data().path()), "shipped corpus at " + run.data().path());
    }

    @Test
    void unknownKeyListsTheValidKeys() {
        String message = error("model:\n  dmodel: 64\n");
        assertTrue(message.contains("unknown config key 'model.dmodel'"), message);
        assertTrue(message.contains("valid keys under 'model': " + String.join(", ", dev.tlab.models.ModelKeys.keys())), message);
        assertTrue(message.contains("test.yaml"), message);
    }

    @Test
    void unknownTopLevelSectionListsTheSections() {
        String message = error("optimizer:\n  lr: 1\n");
        assertTrue(message.contains("'optimizer'") && message.contains("model, train, data"), message);
    }

    @Test
    void widthNotDivisibleByHeadsIsNamed() {
        String message = error("model:\n  d_model: 100\n  heads: 3\n");
        assertTrue(message.contains("model.d_model (100) must be divisible by model.heads (3)"), message);
    }

    @Test
    void wrongTypeNamesTheKey() {
        String message = error("train:\n  lr: fast\n");
        assertEquals("train.lr: expected a number, got 'fast'", message);
    }

    @Test
    void unknownEnumValueListsAllowedValues() {
        String message = error("model:\n  norm_placement: middle\n");
        assertTrue(message.contains("model.norm_placement") && message.contains("pre, post"), message);
    }

    @Test
    void unknownDeviceListsTheChoices() {
        assertEquals("train.device: unknown value 'tpu'; allowed: auto, cpu, gpu, gpu:N", error("train:\n  device: tpu\n"));
    }

    @Test
    void unsupportedPrecisionIsRejected() {
        assertEquals("train.precision: unsupported value 'fp8'; allowed: fp32, fp16, bf16", error("train:\n  precision: fp8\n"));
    }

    /** bf16 is a valid config everywhere; whether this libtorch can run it is asked when a run starts. */
    @Test
    void bf16IsAcceptedByTheLoader() {
        RunConfig run = parse("train:\n  precision: bf16\n");
        assertEquals("bf16", run.train().precision());
        assertTrue(run.train().halfPrecision() && !run.train().lossScaling());
        assertEquals(ai.djl.ndarray.types.DataType.BFLOAT16, run.train().computeType());
    }

    @Test
    void overridesApplyAsYamlValues() {
        RunConfig run = parse("model:\n  layers: 2\n", "model.layers=3", "train.betas=[0.8, 0.95]", "model.norm=rmsnorm", "model.norm_placement=post");
        assertEquals(3, run.model().layers());
        assertEquals(0.8, run.train().beta1());
        assertEquals(0.95, run.train().beta2());
        assertEquals(NormType.RMSNORM, run.model().norm());
        assertEquals(NormPlacement.POST, run.model().normPlacement());
        assertTrue(run.resolvedYaml().contains("layers: 3"), run.resolvedYaml());
    }

    @Test
    void overrideOfUnknownKeyIsAnError() {
        String message = error("", "train.stepz=3");
        assertTrue(message.contains("unknown config key 'train.stepz'") && message.contains("steps"), message);
    }

    @Test
    void malformedYamlNamesTheFileAndLine() {
        String message = error("model:\n  layers: [1\n");
        assertTrue(message.startsWith("test.yaml: invalid YAML at line"), message);
    }

    @Test
    void missingConfigFileIsNamed() {
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.yaml"), List.of()));
        assertTrue(e.getMessage().contains("nope.yaml"));
    }

    @Test
    void relativeDataPathIsResolvedAgainstTheConfigFile() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), "hello");
        Path config = dir.resolve("run.yaml");
        Files.writeString(config, "data:\n  path: corpus.txt\n");
        RunConfig run = ConfigLoader.load(config, List.of());
        assertEquals(dir.resolve("corpus.txt").toAbsolutePath(), run.data().path());
        assertEquals("run", run.name());
    }

    @Test
    void extendsChainPrecedenceIsDefaultsThenBasesThenConfigThenSet() throws Exception {
        Files.createDirectories(dir.resolve("bases"));
        Files.writeString(dir.resolve("bases/corpus.txt"), "hello there");
        Files.writeString(dir.resolve("bases/base.yaml"), String.join("\n",
                "name: base-name", "model:", "  layers: 2", "  heads: 2", "  d_model: 32",
                "train:", "  steps: 10", "  lr: 2.0e-3", "data:", "  path: corpus.txt", ""));
        Files.writeString(dir.resolve("mid.yaml"), String.join("\n",
                "extends: bases/base.yaml", "model:", "  layers: 3", "train:", "  steps: 20", ""));
        Path run = dir.resolve("run.yaml");
        Files.writeString(run, String.join("\n", "extends: mid.yaml", "model:", "  layers: 4", ""));

        RunConfig plain = ConfigLoader.load(run, List.of());
        assertEquals(4, plain.model().layers(), "the config beats its bases");
        assertEquals(20, plain.train().steps(), "a nearer base beats a farther one");
        assertEquals(2.0e-3, plain.train().lr(), "a base beats the defaults");
        assertEquals(32, plain.model().dModel());
        assertEquals(100, plain.train().warmup(), "keys no file sets keep their defaults");
        assertEquals("run", plain.name(), "a base's name is not inherited");
        assertEquals(dir.resolve("bases/corpus.txt").toAbsolutePath().normalize(), plain.data().path(),
                "a base's relative data.path resolves against the base's own file");

        RunConfig overridden = ConfigLoader.load(run, List.of("model.layers=5", "train.steps=30"));
        assertEquals(5, overridden.model().layers(), "--set beats everything");
        assertEquals(30, overridden.train().steps());
        assertTrue(!overridden.resolvedYaml().contains("extends"), overridden.resolvedYaml());
        assertTrue(overridden.resolvedYaml().contains("layers: 5"), overridden.resolvedYaml());
        // The resolved config is complete: loading it alone gives the same run.
        Path again = dir.resolve("again.yaml");
        Files.writeString(again, overridden.resolvedYaml());
        RunConfig reloaded = ConfigLoader.load(again, List.of());
        assertEquals(overridden.model(), reloaded.model());
        assertEquals(overridden.train(), reloaded.train());
        assertEquals(overridden.data(), reloaded.data());
    }

    @Test
    void extendsCycleNamesTheFiles() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "extends: b.yaml\n");
        Files.writeString(dir.resolve("b.yaml"), "extends: a.yaml\n");
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("a.yaml"), List.of()));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        assertTrue(e.getMessage().contains("a.yaml -> ") && e.getMessage().contains("b.yaml -> "), e.getMessage());
    }

    @Test
    void missingBaseNamesBothFiles() throws Exception {
        Files.writeString(dir.resolve("child.yaml"), "extends: nowhere/base.yaml\n");
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("child.yaml"), List.of()));
        assertTrue(e.getMessage().contains("child.yaml") && e.getMessage().contains("nowhere/base.yaml"), e.getMessage());
    }

    @Test
    void extendsMustBeAPath() {
        assertTrue(error("extends: [a, b]\n").contains("extends expects the path of a base config"));
    }

    @Test
    void variantConfigsExtendTheBabyConfigAndAreNamedByTheirFile() throws Exception {
        try (var files = Files.list(Path.of("../configs/variants"))) {
            List<Path> variants = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertEquals(10, variants.size(), variants.toString());
            for (Path file : variants) {
                RunConfig run = ConfigLoader.load(file, List.of());
                String name = file.getFileName().toString().replace(".yaml", "");
                assertEquals(name, run.name());
                assertEquals(name, run.model().normPlacement() + "-" + run.model().positional());
                assertEquals(2000, run.train().steps(), "the rest is the baby config");
                assertEquals(128, run.model().dModel());
                assertTrue(Files.isRegularFile(run.data().path()), run.data().path().toString());
            }
        }
    }

    @Test
    void integerKeyGivenTextNamesTheKey() {
        assertEquals("train.steps: expected an integer, got 'abc'", error("train:\n  steps: abc\n"));
    }

    @Test
    void unknownNormNamesTheKeyAndTheChoices() {
        assertEquals("model.norm: unknown value 'batchnorm'; allowed: layernorm, rmsnorm",
                error("model:\n  norm: batchnorm\n"));
    }

    @Test
    void aSectionGivenAValueNamesTheKey() {
        String message = error("model: 3\n");
        assertTrue(message.contains("'model' is a section"), message);
    }

    @Test
    void everyShippedConfigSurvivesTheRoundTripThroughItsTree() throws Exception {
        List<Path> files;
        try (var top = Files.list(Path.of("../configs")); var variants = Files.list(Path.of("../configs/variants"))) {
            files = java.util.stream.Stream.concat(top, variants).filter(p -> p.toString().endsWith(".yaml")).toList();
        }
        assertTrue(files.size() >= 13, files.toString());
        for (Path file : files) {
            RunConfig run = ConfigLoader.load(file, List.of());
            assertEquals(run, ConfigLoader.fromTree(run.tree(), "tree", List.of()), file.toString());
        }
    }

    @Test
    void theTreeHoldsEveryKeyOnce() {
        RunConfig run = parse("model:\n  layers: 3\n", "finetune.freeze=[wte.*]", "sample.stop=END");
        assertEquals(keys(ConfigLoader.defaults(), ""), keys(run.tree(), ""));
        assertEquals(3, run.tree().path("model").path("layers").asInt());
        assertEquals(run.data().path().toString(), run.tree().path("data").path("path").asText());
    }

    private static List<String> keys(com.fasterxml.jackson.databind.JsonNode node, String prefix) {
        List<String> out = new java.util.ArrayList<>();
        node.fields().forEachRemaining(f -> {
            if (f.getValue().isObject()) {
                out.addAll(keys(f.getValue(), prefix + f.getKey() + "."));
            } else {
                out.add(prefix + f.getKey());
            }
        });
        return out;
    }

    @Test
    void overridesApplyToABoundConfig() {
        RunConfig run = parse("model:\n  layers: 3\n");
        RunConfig changed = ConfigLoader.withOverrides(run, List.of("train.steps=7"));
        assertEquals(7, changed.train().steps());
        assertEquals(run.model(), changed.model());
        assertEquals(run, ConfigLoader.withOverrides(run, List.of()));
        var e = assertThrows(ConfigException.class, () -> ConfigLoader.withOverrides(run, List.of("train.steps=abc")));
        assertEquals("train.steps: expected an integer, got 'abc'", e.getMessage());
    }

    @Test
    void aRunDirSetsTheNameAndOutputDirectory() {
        RunConfig moved = parse("").withRunDir(dir.resolve("elsewhere/my-run"));
        assertEquals("my-run", moved.name());
        assertEquals(dir.resolve("elsewhere/my-run").toAbsolutePath().normalize(), moved.runDir());
        var e = assertThrows(ConfigException.class, () -> parse("").withRunDir(dir.resolve("bad name")));
        assertTrue(e.getMessage().startsWith("name: "), e.getMessage());
    }

    @Test
    void nonFiniteNumbersAreRefusedNamingTheKey() {
        assertEquals("train.lr: expected a finite number, got Infinity (too large for a double)",
                error("", "train.lr=1e400"));
        assertEquals("test.yaml: train.lr: expected a finite number, got '.nan' at line 2", error("train:\n  lr: .nan\n"));
        assertEquals("--set train.lr: expected a finite number, got '.inf'", error("", "train.lr=.inf"));
        assertTrue(error("", "train.betas=[0.9, 1e999]").startsWith("train.betas: expected a finite number"));
    }

    @Test
    void integersTooLargeSayOutOfRangeWithTheBound() {
        assertEquals("train.steps: 99999999999 is out of range; at most 2147483647", error("", "train.steps=99999999999"));
        assertEquals("train.warmup: -99999999999 is out of range; at least -2147483648",
                error("", "train.warmup=-99999999999"));
        assertEquals("train.seed: 99999999999999999999 is out of range; at most 9223372036854775807",
                error("", "train.seed=99999999999999999999"));
        assertTrue(error("", "train.steps=1.5").startsWith("train.steps: expected an integer"));
    }

    @Test
    void duplicateKeysNameTheFileKeyAndLine() {
        assertEquals("test.yaml: duplicate key 'train.lr' at line 4; each key may appear once",
                error("train:\n  lr: 0.1\n  steps: 3\n  lr: 0.2\n"));
        assertEquals("test.yaml: duplicate key 'name' at line 2; each key may appear once", error("name: a\nname: b\n"));
    }

    @Test
    void microBatchTooLargeForOneArrayNamesBothKeys() {
        String message = error("", "train.batch_size=1000000000");
        assertTrue(message.startsWith("train.batch_size * model.context = 1000000000 * ")
                && message.contains("out of range; at most " + ConfigLoader.MAX_BATCH_TOKENS), message);
    }
}
