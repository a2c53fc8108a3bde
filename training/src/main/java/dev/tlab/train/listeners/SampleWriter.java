package dev.tlab.train.listeners;

import dev.tlab.precision.TrainingPrecision;
import dev.tlab.train.RunEnd;
import dev.tlab.train.Task;
import dev.tlab.train.TrainingListener;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** {@code samples.txt}: what the trained model generates, written and printed at the end. */
public final class SampleWriter implements TrainingListener {

    public static final String FILE = "samples.txt";

    private final Task task;
    private final TrainingPrecision precision;
    private final NDManager manager;
    private final long seed;
    private final Path runDir;
    private final Consumer<String> say;
    private String samples = "";

    public SampleWriter(Task task, TrainingPrecision precision, NDManager manager, long seed, Path runDir,
            Consumer<String> say) {
        this.task = task;
        this.precision = precision;
        this.manager = manager;
        this.seed = seed;
        this.runDir = runDir;
        this.say = say;
    }

    @Override
    public void onTrainingEnd(RunEnd end) {
        samples = task.samples(precision.store(), manager, seed);
        if (samples.isEmpty()) {
            return;
        }
        try {
            Files.writeString(runDir.resolve(FILE), samples);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        say.accept("\n" + samples);
    }

    /** The samples written at the end; empty before, or when the task has none. */
    public String samples() {
        return samples;
    }
}
