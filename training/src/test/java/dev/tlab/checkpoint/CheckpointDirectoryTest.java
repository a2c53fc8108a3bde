package dev.tlab.checkpoint;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelType;
import dev.tlab.tokenize.CharTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing, listing, pruning and finding checkpoints, and reading both state formats. */
class CheckpointDirectoryTest {

    /** Written by the previous release: {@code config} is YAML text and still sets {@code model.type}. */
    static final Path FORMAT_2 = Path.of("src/test/resources/dev/tlab/checkpoint/format-2/checkpoints/step-000004");

    private static final RunConfig CONFIG = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of());

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

    private Path write(String name, long step) {
        Map<String, NDArray> weights = Map.of("w", manager.create(new float[] {step, 2}));
        Map<String, NDArray> moments = Map.of("m.w", manager.zeros(new Shape(2)),
                "v.w", manager.zeros(new Shape(2)));
        CheckpointState state = new CheckpointState(CheckpointState.FORMAT_VERSION, step, step, 0, 1, "test", Double.NaN,
                Double.NaN, 0, 0, 0, null, new int[] {'a', 'b'}, CheckpointState.TokenizerInfo.of(new CharTokenizer("ab")),
                CONFIG.tree(), "test", "test", null, 0, 0, null, null);
        return CheckpointDirectory.write(dir, name, weights, moments, state, new CharTokenizer("ab"));
    }

    @Test
    void pruneKeepsTheNewestAndClearsLeftovers() throws IOException {
        for (long step = 1; step <= 3; step++) {
            write(CheckpointDirectory.stepName(step), step);
        }
        Files.createDirectories(dir.resolve("step-000004.tmp"));
        assertEquals(3, CheckpointDirectory.list(dir).size());
        CheckpointDirectory.prune(dir, 2, dir.resolve("step-000003"));
        assertEquals(List.of(dir.resolve("step-000002"), dir.resolve("step-000003")), CheckpointDirectory.list(dir));
        assertFalse(Files.exists(dir.resolve("step-000004.tmp")));
    }

    @Test
    void pruneCountsOnlyCheckpointsThatValidate() throws IOException {
        write("step-000010", 10);
        write("step-000020", 20);
        Path damaged = write("step-000030", 30);
        Path model = damaged.resolve(CheckpointDirectory.MODEL_FILE);
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 1] ^= 1; // the right size, the wrong SHA-256
        Files.write(model, bytes);
        assertNull(CheckpointDirectory.problem(damaged, false), "sizes alone do not see it");
        Path resumed = write("step-000025", 25); // a resume from step 20 that stopped at 25
        CheckpointDirectory.prune(dir, 2, resumed);
        assertEquals(List.of("step-000020", "step-000025", "step-000030"), names(CheckpointDirectory.stepDirectories(dir)),
                "the damaged step-000030 is not counted, so step-000020 stays");
        CheckpointDirectory.prune(dir, 1, resumed);
        assertEquals(List.of("step-000025", "step-000030"), names(CheckpointDirectory.stepDirectories(dir)));
        assertEquals(dir.resolve("step-000025"), CheckpointDirectory.locate(dir).checkpoint());
    }

    @Test
    void pruneNeverDeletesTheNewestValidCheckpoint() throws IOException {
        write("step-000001", 1);
        Path newest = write("step-000003", 3);
        Path older = write("step-000002", 2); // e.g. a stop checkpoint of a run resumed from best/
        CheckpointDirectory.prune(dir, 1, older);
        assertEquals(List.of("step-000002", "step-000003"), names(CheckpointDirectory.stepDirectories(dir)));
        assertEquals(newest, CheckpointDirectory.locate(dir).checkpoint());
    }

    private static List<String> names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList();
    }

    @Test
    void aFullDiskIsOneLineWithTheSpaceNeededAndLeavesTheNewestCheckpoint() throws IOException {
        Path previous = write("step-000001", 1);
        // The error the file system gives when the disk fills, raised where the tensor bytes are written.
        List<SafeTensors.Tensor> weights = List.of(new SafeTensors.Tensor("w", "F32", new long[] {1000, 250}, out -> {
            out.write(new byte[4096]);
            throw new IOException("No space left on device");
        }));
        CheckpointState state = CheckpointDirectory.readState(previous);
        var e = assertThrows(ConfigException.class, () -> CheckpointDirectory.write(dir, "step-000002", weights, List.of(),
                state, new CharTokenizer("ab")));
        assertTrue(e.getMessage().startsWith("no space left on device writing " + dir.resolve("step-000002")
                + " (it needs about 1.00 MB, "), e.getMessage());
        assertTrue(e.getMessage().endsWith("; the newest complete step checkpoint, step-000001, is intact"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(dir.resolve("step-000002.tmp")), "the half-written checkpoint gives its space back");
        assertFalse(Files.exists(dir.resolve("step-000002")));
        assertEquals(previous, CheckpointDirectory.locate(dir).checkpoint());
    }

    @Test
    void rewritingACheckpointReplacesIt() {
        write(CheckpointDirectory.BEST, 1);
        write(CheckpointDirectory.BEST, 2);
        assertEquals(2, CheckpointDirectory.readState(dir.resolve(CheckpointDirectory.BEST)).step());
        assertFalse(Files.exists(dir.resolve("best.old")) || Files.exists(dir.resolve("best.tmp")));
    }

    @Test
    void locateTakesTheNewestCompleteCheckpointAndSaysWhatItSkipped() throws IOException {
        write("step-000001", 1);
        Path newest = write("step-000002", 2);
        Files.write(newest.resolve(CheckpointDirectory.MODEL_FILE), new byte[] {1, 2, 3});
        CheckpointDirectory.Found found = CheckpointDirectory.locate(dir);
        assertEquals(dir.resolve("step-000001"), found.checkpoint());
        assertEquals(1, found.skipped().size());
        assertTrue(found.skipped().get(0).startsWith("step-000002: ") && found.skipped().get(0).contains("(truncated)"),
                found.skipped().toString());
        var e = assertThrows(ConfigException.class, () -> CheckpointDirectory.locate(newest));
        assertTrue(e.getMessage().startsWith("checkpoint " + newest + " is incomplete"), e.getMessage());
    }

    @Test
    void locateTakesBestWhenItIsNewerThanEveryCompleteStepCheckpoint() throws IOException {
        write("step-000001", 1);
        write(CheckpointDirectory.BEST, 1);
        assertEquals(dir.resolve("step-000001"), CheckpointDirectory.locate(dir).checkpoint(), "a tie keeps the step");
        write(CheckpointDirectory.BEST, 2);
        Files.createDirectories(dir.resolve("step-000002.tmp"));
        assertEquals(dir.resolve(CheckpointDirectory.BEST), CheckpointDirectory.locate(dir).checkpoint());
        Files.write(dir.resolve(CheckpointDirectory.BEST).resolve(CheckpointDirectory.MODEL_FILE), new byte[] {1});
        assertEquals(dir.resolve("step-000001"), CheckpointDirectory.locate(dir).checkpoint(), "a damaged best is passed over");
        Files.delete(dir.resolve("step-000001").resolve(CheckpointDirectory.STATE_FILE));
        var e = assertThrows(ConfigException.class, () -> CheckpointDirectory.locate(dir));
        assertTrue(e.getMessage().contains("step-000001: state.json is missing") && e.getMessage().contains("best: "),
                e.getMessage());
    }

    @Test
    void theConfigIsSavedAsATreeAndBindsBackToTheRun() throws IOException {
        Path checkpoint = write("step-000001", 1);
        var raw = new ObjectMapper().readTree(checkpoint.resolve(CheckpointDirectory.STATE_FILE).toFile());
        assertEquals(CheckpointState.FORMAT_VERSION, raw.get("formatVersion").asInt());
        assertTrue(raw.get("config").isObject(), raw.get("config").toString());
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        assertEquals(CONFIG, ConfigLoader.fromTree(state.config(), "state.json", List.of()));
    }

    @Test
    void aFormatTwoCheckpointStillReads() {
        assertNull(CheckpointDirectory.problem(FORMAT_2, true));
        CheckpointState state = CheckpointDirectory.readState(FORMAT_2);
        assertEquals(2, state.formatVersion());
        assertEquals(4, state.step());
        assertTrue(state.config().isObject(), "the YAML text is read as the tree");
        assertEquals("decoder", state.config().path("model").path("type").asText());
        RunConfig run = ConfigLoader.fromTree(state.config(), "state.json", List.of());
        assertEquals(ModelType.DECODER, run.model().type());
        assertEquals(16, run.model().dModel());
        assertEquals(1, run.model().layers());
        assertEquals("shakespeare-char", run.name());
    }

    @Test
    void anUnknownFormatIsNamed() throws IOException {
        Path checkpoint = write("step-000001", 1);
        Path stateFile = checkpoint.resolve(CheckpointDirectory.STATE_FILE);
        Files.writeString(stateFile, Files.readString(stateFile).replace("\"formatVersion\" : 4", "\"formatVersion\" : 9"));
        var e = assertThrows(ConfigException.class, () -> CheckpointDirectory.readState(checkpoint));
        assertEquals(stateFile + ": checkpoint format 9, this tlab reads 2 to 4", e.getMessage());
    }
}
