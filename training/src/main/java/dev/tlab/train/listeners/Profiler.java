package dev.tlab.train.listeners;

import dev.tlab.profile.Phase;
import dev.tlab.profile.ProfileTable;
import dev.tlab.profile.StepProfiler;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code train.profile_steps}: times the phases of a few steps and where the forward and backward
 * time goes ({@link StepProfiler}), then prints the table and writes {@code profile.txt}.
 */
public final class Profiler implements TrainingListener {

    public static final String FILE = "profile.txt";

    private final StepProfiler profiler;
    private final Path runDir;
    private final Consumer<String> say;

    public Profiler(StepProfiler profiler, Path runDir, Consumer<String> say) {
        this.profiler = profiler;
        this.runDir = runDir;
        this.say = say;
    }

    @Override
    public void onStepStart(long step) {
        profiler.startStep();
    }

    @Override
    public void onPhaseEnd(Phase phase) {
        profiler.lap(phase);
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (profiler.endStep()) {
            String table = profiler.table().format();
            say.accept("\n" + table);
            try {
                Files.writeString(runDir.resolve(FILE), table);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The finished table, or null before the profiled steps have run. */
    public ProfileTable table() {
        return profiler.table();
    }
}
