package dev.tlab.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightLoaderTest {

    @TempDir Path dir;
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private ModelConfig formatTwoModel() {
        CheckpointState state = CheckpointDirectory.readState(CheckpointDirectoryTest.FORMAT_2);
        RunConfig run = ConfigLoader.fromTree(state.config(), "state.json", List.of());
        return run.model().forVocabulary(state.tokenizer().vocabSize());
    }

    @Test
    void aFormatTwoCheckpointLoadsIntoTheModelItsConfigDescribes() {
        DecoderLM model = DecoderLM.create(formatTwoModel(), manager);
        WeightLoader.loadWeights(CheckpointDirectoryTest.FORMAT_2, model.namedParameters(), manager);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> saved = SafeTensors.read(
                    CheckpointDirectoryTest.FORMAT_2.resolve(CheckpointDirectory.MODEL_FILE), scratch);
            model.namedParameters().forEach((name, p) ->
                    assertArrayEquals(saved.get(name).toFloatArray(), p.getArray().toFloatArray(), name));
            assertTrue(WeightLoader.readMoments(CheckpointDirectoryTest.FORMAT_2, scratch).containsKey(
                    CheckpointDirectory.MEAN_PREFIX + "wte.weight"));
        }
    }

    @Test
    void aModelOfAnotherShapeIsRefusedWithTheDifferences() {
        DecoderLM wider = DecoderLM.create(formatTwoModel().toBuilder().dModel(32).build(), manager);
        var e = assertThrows(ConfigException.class,
                () -> WeightLoader.loadWeights(CheckpointDirectoryTest.FORMAT_2, wider.namedParameters(), manager));
        assertTrue(e.getMessage().contains("does not fit the model: different shapes: "), e.getMessage());
    }

    @Test
    void aCorruptModelFileInACheckpointIsNamedWhenLoadedDirectly() throws IOException {
        Path checkpoint = Files.createDirectories(dir.resolve("step-000001"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SafeTensors.write(bytes, Map.of("a", manager.create(new float[] {1, 2, 3})), Map.of());
        byte[] good = bytes.toByteArray();
        Path file = Files.write(checkpoint.resolve(CheckpointDirectory.MODEL_FILE), Arrays.copyOf(good, good.length - 1));
        var e = assertThrows(ConfigException.class, () -> WeightLoader.loadWeights(checkpoint, Map.of(), manager));
        assertTrue(e.getMessage().startsWith(file + ": corrupt or truncated safetensors file"), e.getMessage());
    }
}
