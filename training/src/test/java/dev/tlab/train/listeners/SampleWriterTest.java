package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tlab.precision.FullPrecision;
import dev.tlab.train.RunEnd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleWriterTest {

    @TempDir
    Path dir;

    private static final RunEnd END = new RunEnd(2, 0, 64, 1, 1, 0.02, Events.evaluation(2, 1.5));

    @Test
    void writesAndSaysTheSamplesAtTheEnd() throws Exception {
        StringBuilder said = new StringBuilder();
        try (NDManager manager = NDManager.newBaseManager()) {
            var writer = new SampleWriter(Events.task("ROMEO: hi"), new FullPrecision(manager), manager, 1, dir, said::append);
            assertEquals("", writer.samples());
            writer.onTrainingEnd(END);
            assertEquals("ROMEO: hi", Files.readString(dir.resolve(SampleWriter.FILE)));
            assertEquals("ROMEO: hi", writer.samples());
            assertTrue(said.toString().contains("ROMEO: hi"));
        }
    }

    @Test
    void aTaskWithoutSamplesWritesNothing() {
        StringBuilder said = new StringBuilder();
        try (NDManager manager = NDManager.newBaseManager()) {
            new SampleWriter(Events.task(""), new FullPrecision(manager), manager, 1, dir, said::append).onTrainingEnd(END);
            assertFalse(Files.exists(dir.resolve(SampleWriter.FILE)));
            assertTrue(said.isEmpty());
        }
    }
}
