package dev.tlab.train;

import dev.tlab.profile.Phase;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's listeners as one: each event goes to every listener, in the order they were added.
 * Closing it closes the listeners that hold files.
 */
public final class Listeners implements TrainingListener, AutoCloseable {

    private final List<TrainingListener> all = new ArrayList<>();

    public Listeners add(TrainingListener listener) {
        all.add(listener);
        return this;
    }

    @Override
    public void onStepStart(long step) {
        all.forEach(l -> l.onStepStart(step));
    }

    @Override
    public void onPhaseEnd(Phase phase) {
        all.forEach(l -> l.onPhaseEnd(phase));
    }

    @Override
    public void onStepEnd(StepResult step) {
        all.forEach(l -> l.onStepEnd(step));
    }

    @Override
    public void onEvaluation(Evaluation evaluation) {
        all.forEach(l -> l.onEvaluation(evaluation));
    }

    @Override
    public void onTrainingEnd(RunEnd end) {
        all.forEach(l -> l.onTrainingEnd(end));
    }

    @Override
    public void close() {
        for (TrainingListener listener : all) {
            if (listener instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot close " + listener, e);
                }
            }
        }
    }
}
