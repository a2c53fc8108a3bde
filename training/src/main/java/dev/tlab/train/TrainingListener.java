package dev.tlab.train;

import dev.tlab.profile.Phase;

/**
 * Hears a training run, in the manner of DJL's {@code TrainingListener}: everything the trainer
 * does besides the step itself (metrics, progress, plots, evaluation, checkpoints, profiling,
 * samples) is one of these. Listeners hear each event in the order they were added.
 */
public interface TrainingListener {

    /** Hears nothing. */
    TrainingListener NONE = new TrainingListener() {};

    /** Before step {@code step} (0-based), after the step's seed is set. */
    default void onStepStart(long step) {}

    /** A phase of the current step ended; only the profiler listens. */
    default void onPhaseEnd(Phase phase) {}

    /** After the optimizer step. */
    default void onStepEnd(StepResult step) {}

    /**
     * A validation pass after a step. It arrives while the evaluator hears {@link #onStepEnd}, so
     * listeners added after the evaluator hear a step's evaluation before the step itself.
     */
    default void onEvaluation(Evaluation evaluation) {}

    /** After the last step. */
    default void onTrainingEnd(RunEnd end) {}
}
