package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesARowPerReportingStepWithItsEvaluation() throws Exception {
        try (var writer = new MetricsWriter(dir, 0)) {
            writer.onStepEnd(Events.step(1, true));
            writer.onStepEnd(Events.step(2, false));
            writer.onEvaluation(Events.evaluation(3, 1.25));
            writer.onStepEnd(Events.step(3, true));
            writer.onStepEnd(Events.step(4, true));
        }
        List<JsonNode> rows = rows();
        assertEquals(List.of(1L, 3L, 4L), rows.stream().map(r -> r.get("step").asLong()).toList());
        assertEquals(0.03, rows.get(1).get("train_loss").asDouble(), 1e-12);
        assertEquals(1.25, rows.get(1).get("val_loss").asDouble(), 1e-12);
        assertFalse(rows.get(0).has("val_loss"), "no evaluation at step 1");
        assertFalse(rows.get(2).has("val_loss"), "step 4's row does not repeat step 3's evaluation");
        assertEquals(1000, rows.get(2).get("tokens_per_s").asDouble());
    }

    @Test
    void aResumedRunKeepsRowsUpToItsCheckpointAndLogsTheRestAgain() throws Exception {
        try (var writer = new MetricsWriter(dir, 0)) {
            for (long step = 1; step <= 6; step++) {
                writer.onStepEnd(Events.step(step, true));
            }
        }
        Files.writeString(dir.resolve(MetricsWriter.FILE), "{\"step\": 7, \"cut short", java.nio.file.StandardOpenOption.APPEND);
        try (var writer = new MetricsWriter(dir, 4)) {
            writer.onStepEnd(Events.step(5, true));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), rows().stream().map(r -> r.get("step").asLong()).toList());
    }

    private List<JsonNode> rows() throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(MetricsWriter.FILE))) {
            assertTrue(!line.isBlank());
            rows.add(new ObjectMapper().readTree(line));
        }
        return rows;
    }
}
