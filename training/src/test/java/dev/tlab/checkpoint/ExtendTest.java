package dev.tlab.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.optim.LrSchedule;
import dev.tlab.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extending a finished run: {@code train.extend} restretch re-stretches the cosine and says so with both rates; constant goes on at min_lr. */
class ExtendTest {

    private static final double LR = 1e-3;
    private static final double MIN_LR = 1e-4;

    @TempDir Path dir;

    private RunConfig tiny(String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "name=" + name, "train.device=cpu",
                "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=16", "train.batch_size=2",
                "train.steps=6", "train.warmup=1", "train.lr=" + LR, "train.min_lr=" + MIN_LR, "train.eval_every=3",
                "train.eval_batches=1", "train.log_every=1", "sample.tokens=0", "checkpoint.every=3", "checkpoint.keep=10",
                "metrics.tensorboard=false"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), all);
    }

    /** Trains 6 steps, then resumes to 10 with {@code extend}; returns the console of the resume. */
    private String extendTo10(String name, String extend) {
        new Trainer(tiny(name), null, false).fit();
        Path run = dir.resolve(name);
        RunStart start = RunStart.resume(run);
        RunConfig config = ConfigLoader.withOverrides(start.savedConfig(), List.of("train.steps=10", "train.extend=" + extend));
        StringWriter console = new StringWriter();
        new Trainer(config, new PrintWriter(console), false).from(start).fit();
        return console.toString();
    }

    private TreeMap<Integer, Double> rates(String name) throws IOException {
        TreeMap<Integer, Double> lr = new TreeMap<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve(name).resolve("metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("lr")) {
                lr.put(row.get("step").asInt(), row.get("lr").asDouble());
            }
        }
        return lr;
    }

    @Test
    void restretchClimbsBackUpAndTheNoteGivesBothRates() throws IOException {
        String log = extendTo10("restretch", "restretch");
        TreeMap<Integer, Double> lr = rates("restretch");
        double last = new LrSchedule(LR, MIN_LR, 1, 6).at(5);
        assertEquals(last, lr.get(6), 1e-12, "the first run's last step, near min_lr");
        double next = new LrSchedule(LR, MIN_LR, 1, 10).at(6);
        assertEquals(next, lr.get(7), 1e-12, "the cosine over 10 steps");
        assertTrue(next > 2 * last, "it climbs back up: " + last + " -> " + next);
        String expected = String.format(Locale.ROOT, "train.steps 6 -> 10 re-stretches the cosine (train.extend: restretch):"
                + " the learning rate goes from %.2e at step 6 to %.2e at step 7; --set train.extend=constant continues"
                + " at the final rate instead", last, next);
        assertTrue(log.contains(expected), log);
    }

    @Test
    void constantGoesOnAtTheFinalRate() throws IOException {
        String log = extendTo10("constant", "constant");
        TreeMap<Integer, Double> lr = rates("constant");
        assertEquals(new LrSchedule(LR, MIN_LR, 1, 6).at(5), lr.get(6), 1e-12);
        for (int step = 7; step <= 10; step++) {
            assertEquals(MIN_LR, lr.get(step), 1e-12, "step " + step);
        }
        assertTrue(log.contains(String.format(Locale.ROOT, "train.steps 6 -> 10: the cosine still ends at step 6"
                + " (train.extend: constant), the added steps at min_lr; the learning rate goes from %.2e at step 6 to"
                + " 1.00e-04 at step 7", lr.get(6))), log);
        // The whole run's time: the first session's, which the step-6 checkpoint recorded, and this one's.
        double before = CheckpointDirectory.readState(dir.resolve("constant/checkpoints/step-000006")).wallSeconds();
        double after = CheckpointDirectory.readState(dir.resolve("constant/checkpoints/step-000010")).wallSeconds();
        assertTrue(before > 0 && after > before, before + " then " + after);
        assertTrue(log.contains("done: 10 steps in ") && log.contains(" of it since the resume at step 6) | "), log);
        // The pinned end is in the run's config: a later resume goes on at min_lr too.
        assertEquals(6, RunStart.resume(dir.resolve("constant")).savedConfig().train().cosineEnd());
    }

    @Test
    void anUnknownValueIsRefusedListingTheAllowedOnes() {
        var e = assertThrows(ConfigException.class, () -> tiny("x", "train.extend=sometimes"));
        assertEquals("train.extend: unsupported value 'sometimes'; allowed: restretch, constant", e.getMessage());
    }
}
