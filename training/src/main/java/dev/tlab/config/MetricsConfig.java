package dev.tlab.config;

/** What a run records besides {@code metrics.jsonl}: {@code tensorboard} event files. */
public record MetricsConfig(boolean tensorboard) {}
