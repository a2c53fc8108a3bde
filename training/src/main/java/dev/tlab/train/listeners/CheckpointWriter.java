package dev.tlab.train.listeners;

import dev.tlab.checkpoint.RunCheckpoints;
import dev.tlab.config.CheckpointConfig;
import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import dev.tlab.train.TrainingListener;
import java.nio.file.Path;

/**
 * Writes {@code best/} at each new lowest validation loss and a step checkpoint every {@code
 * checkpoint.every} steps and after the last.
 */
public final class CheckpointWriter implements TrainingListener {

    private final RunCheckpoints checkpoints;
    private final CheckpointConfig config;
    private final long steps;
    private long savedStep = -1;
    private Path saved;

    public CheckpointWriter(RunCheckpoints checkpoints, CheckpointConfig config, long steps) {
        this.checkpoints = checkpoints;
        this.config = config;
        this.steps = steps;
    }

    @Override
    public void onEvaluation(Evaluation evaluation) {
        checkpoints.evaluated(evaluation.step(), evaluation.tokensSeen(), evaluation.valLoss());
    }

    @Override
    public void onStepEnd(StepResult step) {
        if (config.saves(step.step(), steps)) {
            save(step.step(), step.tokensSeen());
        }
    }

    /** The step checkpoint after {@code step} steps: the one this step already wrote, or a new one. */
    public Path checkpointOf(long step, long tokensSeen) {
        return step == savedStep ? saved : save(step, tokensSeen);
    }

    private Path save(long step, long tokensSeen) {
        saved = checkpoints.save(step, tokensSeen);
        savedStep = step;
        return saved;
    }

    /** The lowest validation loss of the run so far, a resumed run's history included. */
    public double bestValLoss() {
        return checkpoints.bestValLoss();
    }
}
