package dev.tlab.checkpoint;

import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.train.Trainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning a small Shakespeare checkpoint on Pride and Prejudice, which brings 20 new characters. */
class FinetuneTest {

    private static final String PRIDE = "data.path=../examples/data/pride-and-prejudice/input.txt";

    @TempDir static Path shared;
    @TempDir Path dir;
    private static Path parent;
    private NDManager manager;

    @BeforeAll
    static void trainParent() {
        Path run = new Trainer(ResumeTest.tiny(shared, "parent", "train.steps=6", "checkpoint.every=0"), null, false)
                .fit().runDir();
        parent = run.resolve("checkpoints/step-000006");
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static RunConfig finetune(Path out, String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of(PRIDE, "train.steps=6", "checkpoint.every=0", "model.dropout=0.0"));
        all.addAll(List.of(overrides));
        return ResumeTest.tiny(out, name, all.toArray(String[]::new));
    }

    private Map<String, NDArray> weights(Path checkpoint) {
        return SafeTensors.read(checkpoint.resolve(CheckpointDirectory.MODEL_FILE), manager);
    }

    /** In float16 too, where frozen tensors get plain copies and the rest come from the optimizer's groups. */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "fp16"})
    void frozenTensorsStayBitIdenticalAndTheOthersTrain(String precision) {
        Path run = new Trainer(finetune(dir, "frozen-" + precision, "finetune.freeze=[\"wte.*\", \"h.0.*\"]",
                "train.precision=" + precision), null, false)
                .from(RunStart.finetune(parent)).fit().runDir();
        Map<String, NDArray> before = weights(parent);
        Map<String, NDArray> after = weights(run.resolve("checkpoints/step-000006"));
        String oldVocab = vocab(CheckpointDirectory.readState(parent));
        int frozen = 0;
        int trained = 0;
        for (String name : before.keySet()) {
            float[] a = before.get(name).toFloatArray();
            float[] b = after.get(name).toFloatArray();
            if (name.equals("wte.weight")) {
                // Old characters keep their ids, so the old rows are the first rows, bit for bit.
                assertArrayEquals(a, Arrays.copyOf(b, a.length), name);
                assertEquals((oldVocab.length() + 20) * 32, b.length, "20 new rows");
                frozen++;
            } else if (name.startsWith("h.0.")) {
                assertArrayEquals(a, b, name);
                frozen++;
            } else {
                assertFalse(Arrays.equals(a, b), name + " should have trained");
                trained++;
            }
        }
        assertTrue(frozen == 1 + 12 && trained > 10, "frozen " + frozen + ", trained " + trained);
        Map<String, NDArray> moments = SafeTensors.read(run.resolve("checkpoints/step-000006/" + CheckpointDirectory.OPTIMIZER_FILE), manager);
        assertFalse(moments.containsKey("m.wte.weight") || moments.containsKey("v.h.0.attn.qkv.weight"),
                "no optimizer state for frozen tensors");
    }

    @Test
    void extendedVocabularyKeepsOldIdsAndRowsAndAddsNewCharacters() {
        Path run = new Trainer(finetune(dir, "extended"), null, false).from(RunStart.finetune(parent)).fit().runDir();
        CheckpointState before = CheckpointDirectory.readState(parent);
        CheckpointState after = CheckpointDirectory.readState(run.resolve("checkpoints/step-000006"));
        assertTrue(vocab(after).startsWith(vocab(before)), "old ids kept");
        assertEquals("\"#%()*/012456789@[]_", vocab(after).substring(vocab(before).length()));
        assertEquals(6, after.step());
        assertEquals(6, after.optimizerSteps(), "fresh optimizer");
        assertTrue(after.parent().contains("step-000006 (step 6)"), after.parent());
    }

    @Test
    void newRowsStartAsAFreshModelsAndOldRowsAsTheCheckpoints() {
        // Freezing the table shows what it was loaded as: the parent's rows, then freshly initialized ones.
        Path run = new Trainer(finetune(dir, "rows", "finetune.freeze=[wte.weight]"), null, false)
                .from(RunStart.finetune(parent)).fit().runDir();
        float[] table = weights(run.resolve("checkpoints/step-000006")).get("wte.weight").toFloatArray();
        float[] old = weights(parent).get("wte.weight").toFloatArray();
        assertArrayEquals(old, Arrays.copyOf(table, old.length));
        float[] fresh = Arrays.copyOfRange(table, old.length, table.length);
        double sum = 0;
        for (float f : fresh) {
            sum += f * f;
        }
        double std = Math.sqrt(sum / fresh.length);
        assertEquals(0.02, std, 0.004, "new rows drawn from N(0, 0.02)");
    }

    @Test
    void rowsFollowTheirCharacterWhenIdsMove() {
        // mlm keeps its mask token last, so extending "ab" + mask by 'c' moves the mask's row.
        VocabularyRows rows = VocabularyRows.between("ab\u2588".codePoints().toArray(), "abc\u2588".codePoints().toArray());
        NDArray saved = manager.create(new float[] {1, 1, 2, 2, 9, 9}, new ai.djl.ndarray.types.Shape(3, 2));
        NDArray fresh = manager.create(new float[] {0, 0, 0, 0, 5, 5, 0, 0}, new ai.djl.ndarray.types.Shape(4, 2));
        assertTrue(rows.applies("wte.weight", saved.getShape(), fresh.getShape()));
        assertFalse(rows.applies("h.0.mlp.fc.weight", saved.getShape(), fresh.getShape()));
        assertArrayEquals(new float[] {1, 1, 2, 2, 5, 5, 9, 9}, rows.remap(saved, fresh, false));
        assertArrayEquals(new float[] {1, 1, 2, 2, 0, 0, 9, 9}, rows.remap(saved, fresh, true));
        assertArrayEquals(new int[] {'c'}, rows.added());
    }

    @Test
    void rejectListsTheNewCharacters() {
        var e = assertThrows(ConfigException.class, () -> new Trainer(finetune(dir, "rejected", "finetune.vocab=reject"), null, false)
                .from(RunStart.finetune(parent)).fit());
        assertTrue(e.getMessage().contains("the data has 20 characters the checkpoint lacks: '\"' '#' '%'")
                && e.getMessage().contains("finetune.vocab is reject"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("rejected/checkpoints")), "nothing written");
    }

    @Test
    void aDifferentModelIsRefusedNamingTheFields() {
        var e = assertThrows(ConfigException.class, () -> new Trainer(finetune(dir, "deeper", "model.layers=3",
                "model.positional=rope"), null, false).from(RunStart.finetune(parent)).fit());
        assertTrue(e.getMessage().contains("model.layers: checkpoint 2, now 3")
                && e.getMessage().contains("model.positional: checkpoint learned, now rope"), e.getMessage());
    }

    @Test
    void dropoutMayDifferFromTheCheckpoints() {
        Path run = new Trainer(finetune(dir, "dropout", "model.dropout=0.2"), null, false).from(RunStart.finetune(parent)).fit().runDir();
        assertEquals(0.2, CheckpointDirectory.readState(run.resolve("checkpoints/step-000006")).config().path("model").path("dropout").asDouble());
    }

    @Test
    void resumeOptimizerCarriesTheParentsMomentsAndStepCount() {
        Path run = new Trainer(finetune(dir, "moments", "finetune.resume_optimizer=true"), null, false)
                .from(RunStart.finetune(parent)).fit().runDir();
        assertEquals(12, CheckpointDirectory.readState(run.resolve("checkpoints/step-000006")).optimizerSteps());
    }

    @Test
    void aFreezePatternThatMatchesNothingIsNamed() {
        var e = assertThrows(ConfigException.class, () -> new Trainer(finetune(dir, "typo", "finetune.freeze=[\"embed.*\"]"), null, false)
                .from(RunStart.finetune(parent)).fit());
        assertTrue(e.getMessage().startsWith("finetune.freeze: 'embed.*' matches no parameter; names are wte.weight"), e.getMessage());
    }

    @Test
    void aFineTuneWithFrozenLayersResumesBitIdentically() throws IOException {
        String[] settings = {"finetune.freeze=[\"h.0.*\"]", "train.steps=8", "checkpoint.every=4", "model.dropout=0.1"};
        Path straight = new Trainer(finetune(dir, "ft-straight", settings), null, false).from(RunStart.finetune(parent)).fit().runDir();
        RunConfig run = finetune(dir, "ft-interrupted", settings);
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).from(RunStart.finetune(parent))
                .onStep((done, m) -> {
                    if (done == 6) {
                        throw new IllegalStateException("stop");
                    }
                }).fit());
        new Trainer(run, null, false).from(RunStart.resume(dir.resolve("ft-interrupted"))).fit();
        for (String file : List.of(CheckpointDirectory.MODEL_FILE, CheckpointDirectory.OPTIMIZER_FILE)) {
            assertArrayEquals(Files.readAllBytes(straight.resolve("checkpoints/step-000008/" + file)),
                    Files.readAllBytes(dir.resolve("ft-interrupted/checkpoints/step-000008/" + file)), file);
        }
    }

    /** A character checkpoint's vocabulary as text. */
    private static String vocab(CheckpointState state) {
        return new CharTokenizer(state.vocabulary()).vocab();
    }
}
