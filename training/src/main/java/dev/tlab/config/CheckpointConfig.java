package dev.tlab.config;

import dev.tlab.errors.ConfigException;

/** How often to save, and how many step checkpoints to keep. */
public record CheckpointConfig(int every, int keep) {

    public CheckpointConfig {
        if (every < 0) {
            throw new ConfigException("checkpoint.every must be >= 0 (0 = only at the end), got " + every);
        }
        if (keep < 1) {
            throw new ConfigException("checkpoint.keep must be >= 1, got " + keep);
        }
    }

    /** Whether a step checkpoint is written after {@code done} of {@code steps} steps (the last always is). */
    public boolean saves(long done, long steps) {
        return (every > 0 && done % every == 0) || done == steps;
    }
}
