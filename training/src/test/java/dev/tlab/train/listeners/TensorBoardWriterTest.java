package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.metrics.tensorboard.EventFile;
import dev.tlab.metrics.tensorboard.EventReader;
import dev.tlab.train.Evaluation;
import dev.tlab.train.RunEnd;
import dev.tlab.train.StepResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {

    @TempDir Path dir;

    private double clock = 1700000000;

    private TensorBoardWriter writer(long firstStep, String samples) {
        return new TensorBoardWriter(dir, firstStep, "train:\n  lr: 0.001\n", () -> samples, () -> clock++, "host");
    }

    /** A reporting step with every health figure, as a float16 run logs it. */
    private static StepResult healthy(long step) {
        return new StepResult(step, 1e-3, step / 100.0, 0.5 + step, true, true, 64 * step, 1000, step * 0.5,
                step >= 3, 65536, 1, new java.util.TreeMap<>(Map.of("decay", 1e-3, "no_decay", 2e-3)), 0.25);
    }

    @Test
    void everyScalarTagAndStepReadsBackAsWritten() throws Exception {
        try (TensorBoardWriter writer = writer(0, "ROMEO: hi")) {
            writer.onStepEnd(healthy(1));
            writer.onStepEnd(Events.step(2, false));
            writer.onEvaluation(new Evaluation(3, 192, 1.25, Map.of("val_bpb", 1.8)));
            writer.onStepEnd(healthy(3));
            writer.samplesAtEnd().onTrainingEnd(new RunEnd(3, 0, 64, 1, 2, 0.03, new Evaluation(3, 192, 1.25, Map.of())));
        }
        List<Path> files = EventFile.files(dir);
        assertEquals(1, files.size());
        assertTrue(files.get(0).getFileName().toString().matches("events\\.out\\.tfevents\\.1700000000\\.host"));
        List<EventReader.Event> events = EventReader.read(files.get(0));
        assertEquals("brain.Event:2", events.get(0).fileVersion(), "the first record is the file version");
        assertEquals("```\ntrain:\n  lr: 0.001\n```", events.get(1).texts().get("config"));
        assertEquals(1, events.get(1).step(), "the config at the first step the process trains");

        EventReader.Event step1 = events.get(2);
        assertEquals(1, step1.step());
        assertEquals(List.of("loss/train", "train/lr", "train/tokens_per_s", "train/step_time_s", "health/grad_norm",
                "health/clipped", "health/update_ratio_decay", "health/update_ratio_no_decay", "health/loss_scale",
                "health/skipped_steps"), new ArrayList<>(step1.scalars().keySet()));
        assertEquals(0.01f, step1.scalars().get("loss/train"));
        assertEquals(1.5f, step1.scalars().get("health/grad_norm"));
        assertEquals(0f, step1.scalars().get("health/clipped"));
        assertEquals(65536f, step1.scalars().get("health/loss_scale"));
        assertEquals(0.002f, step1.scalars().get("health/update_ratio_no_decay"));

        EventReader.Event step3 = events.get(3);
        assertEquals(3, step3.step(), "step 2 did not report: nothing written");
        assertEquals(1.25f, step3.scalars().get("loss/val"));
        assertEquals(1.8f, step3.scalars().get("eval/val_bpb"));
        assertEquals(1f, step3.scalars().get("health/clipped"));
        assertEquals("```\nROMEO: hi\n```", events.get(4).texts().get("samples"));
        assertEquals(3, events.get(4).step());
        assertEquals(5, events.size());
    }

    @Test
    void float32RunsLeaveOutTheLossScaleAndNotTakenNorms() throws Exception {
        try (TensorBoardWriter writer = writer(0, "")) {
            writer.onStepEnd(new StepResult(1, 1e-3, 2.0, Double.NaN, true, true, 64, 1000, 0.5));
            writer.samplesAtEnd().onTrainingEnd(new RunEnd(1, 0, 64, 1, 2, 2.0, new Evaluation(1, 64, 2.1, Map.of())));
        }
        List<EventReader.Event> events = EventReader.read(EventFile.files(dir).get(0));
        Set<String> tags = events.get(2).scalars().keySet();
        assertEquals(Set.of("loss/train", "train/lr", "train/tokens_per_s"), tags);
        assertEquals(3, events.size(), "no samples text when the task has none");
    }

    @Test
    void aResumedRunAppendsWithoutDuplicatingSteps() throws Exception {
        // The first process logs steps 1-6, but its last checkpoint is at step 4 when it dies.
        try (TensorBoardWriter writer = writer(0, "")) {
            for (long s = 1; s <= 6; s++) {
                writer.onStepEnd(healthy(s));
            }
        }
        // The resumed process trains steps 5-8 again from that checkpoint.
        try (TensorBoardWriter writer = writer(4, "")) {
            for (long s = 5; s <= 8; s++) {
                writer.onStepEnd(healthy(s));
            }
        }
        List<Path> files = EventFile.files(dir);
        assertEquals(2, files.size(), "a new file per process start");
        List<Long> logged = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Path file : files) {
            for (EventReader.Event event : EventReader.read(file)) {
                for (String tag : event.scalars().keySet()) {
                    assertTrue(seen.add(tag + "@" + event.step()), "written twice: " + tag + " at step " + event.step());
                }
                if (event.scalars().containsKey("loss/train")) {
                    logged.add(event.step());
                }
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), logged);
        List<EventReader.Event> second = EventReader.read(files.get(1));
        assertEquals("brain.Event:2", second.get(0).fileVersion());
        assertTrue(second.get(1).sessionStart(), "a restart marker, for a TensorBoard that already read steps 5-6");
        assertEquals(5, second.get(1).step());
        assertFalse(EventReader.read(files.get(0)).stream().anyMatch(e -> e.step() > 4), "the first file is cut at 4");
    }

    @Test
    void aResumeLogsTheStepsOfMetricsJsonlThatNoEventFileHolds() throws Exception {
        // The first process logged steps 1-4 to metrics.jsonl and checkpointed step 4, but was
        // killed before TensorBoard got step 4.
        try (MetricsWriter metrics = new MetricsWriter(dir, 0); TensorBoardWriter writer = writer(0, "")) {
            for (long s = 1; s <= 4; s++) {
                metrics.onStepEnd(healthy(s));
                if (s < 4) {
                    writer.onStepEnd(healthy(s));
                }
            }
        }
        try (MetricsWriter metrics = new MetricsWriter(dir, 4); TensorBoardWriter writer = writer(4, "")) {
            for (long s = 5; s <= 6; s++) {
                metrics.onStepEnd(healthy(s));
                writer.onStepEnd(healthy(s));
            }
        }
        List<Long> logged = new ArrayList<>();
        Map<String, Float> step4 = null;
        for (Path file : EventFile.files(dir)) {
            for (EventReader.Event event : EventReader.read(file)) {
                if (event.scalars().containsKey("loss/train")) {
                    logged.add(event.step());
                }
                if (event.step() == 4 && !event.scalars().isEmpty()) {
                    step4 = event.scalars();
                }
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), logged);
        Map<String, Float> step3 = EventReader.read(EventFile.files(dir).get(0)).stream()
                .filter(e -> e.step() == 3 && !e.scalars().isEmpty()).findFirst().orElseThrow().scalars();
        Map<String, Float> expected = new java.util.LinkedHashMap<>(step3);
        expected.remove("train/step_time_s"); // not in metrics.jsonl
        assertEquals(expected.keySet(), step4.keySet(), "the same tags, from the row");
        assertEquals(step4Loss(), step4.get("loss/train"));
    }

    /** The train loss {@link #healthy} gives step 4. */
    private float step4Loss() {
        return (float) healthy(4).trainLoss();
    }
}
