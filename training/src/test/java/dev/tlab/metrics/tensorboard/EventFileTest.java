package dev.tlab.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventFileTest {

    private static final double WALL = 1700000000.5;

    @TempDir Path dir;

    /**
     * golden.tfevents was written by scripts/tfevents_check.py with Google's protobuf runtime and a
     * CRC32C of its own, from TensorFlow's field numbers; the writer must give the same bytes.
     */
    @Test
    void aSmallFileIsByteForByteTheGoldenOne() throws Exception {
        Path file;
        try (EventFile events = new EventFile(dir, 0, WALL, "golden")) {
            Map<String, Double> scalars = new LinkedHashMap<>();
            scalars.put("loss/train", 2.5);
            scalars.put("train/lr", 0.001);
            events.scalars(WALL, 1, scalars);
            events.text(WALL, 2, "config", "```\ntrain:\n  lr: 0.001\n```");
            events.sessionStart(WALL, 300);
            file = events.path();
        }
        assertEquals("events.out.tfevents.1700000000.golden", file.getFileName().toString());
        byte[] golden;
        try (InputStream in = getClass().getResourceAsStream("golden.tfevents")) {
            golden = in.readAllBytes();
        }
        assertArrayEquals(golden, Files.readAllBytes(file));

        List<EventReader.Event> read = EventReader.read(file);
        assertEquals(4, read.size());
        assertEquals(Events.FILE_VERSION, read.get(0).fileVersion());
        assertEquals(Map.of("loss/train", 2.5f, "train/lr", 0.001f), read.get(1).scalars());
        assertEquals("```\ntrain:\n  lr: 0.001\n```", read.get(2).texts().get("config"));
        assertTrue(read.get(3).sessionStart());
        assertEquals(300, read.get(3).step());
    }

    @Test
    void recordsFrameLengthAndBothMaskedCrcs() throws Exception {
        byte[] data = "hello".getBytes();
        byte[] framed = TfRecord.frame(data);
        assertEquals(8 + 4 + 5 + 4, framed.length);
        assertEquals(5, framed[0]);
        // CRC32C of "123456789" is 0xe3069283 (the standard check value); masked by the format's rule.
        int crc = 0xe3069283;
        assertEquals(((crc >>> 15) | (crc << 17)) + 0xa282ead8, TfRecord.maskedCrc("123456789".getBytes(), 0, 9));
        assertEquals(List.of("hello"), TfRecord.readAll(framed).stream().map(String::new).toList());
    }

    @Test
    void aRecordCutShortByACrashIsDroppedWhenTheRunResumes() throws Exception {
        Path first;
        try (EventFile events = new EventFile(dir, 0, WALL, "h")) {
            events.scalars(WALL, 10, Map.of("loss/train", 1.0));
            events.scalars(WALL, 20, Map.of("loss/train", 0.5));
            first = events.path();
        }
        byte[] partial = TfRecord.frame(Events.scalars(WALL, 30, Map.of("loss/train", 0.25)));
        Files.write(first, java.util.Arrays.copyOf(partial, partial.length - 3), StandardOpenOption.APPEND);
        try (EventFile events = new EventFile(dir, 20, WALL, "h")) {
            assertNotEquals(first, events.path(), "a second process in the same second gets its own file");
            assertEquals("events.out.tfevents.1700000000.h.1", events.path().getFileName().toString());
        }
        List<Long> steps = EventReader.read(first).stream().map(EventReader.Event::step).toList();
        assertEquals(List.of(0L, 10L, 20L), steps);
    }

    @Test
    void aNewRunRemovesTheOldEventFiles() throws Exception {
        try (EventFile events = new EventFile(dir, 0, WALL, "h")) {
            events.scalars(WALL, 10, Map.of("loss/train", 1.0));
        }
        try (EventFile events = new EventFile(dir, 0, WALL + 5, "h")) {
            assertEquals(List.of(events.path()), EventFile.files(dir));
        }
    }
}
