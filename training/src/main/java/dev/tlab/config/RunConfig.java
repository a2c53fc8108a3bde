package dev.tlab.config;

import dev.tlab.models.ModelConfig;
import java.nio.file.Path;

/**
 * One run, fully resolved and validated. {@code resolvedYaml} is the merged tree, written next to
 * the run's outputs so the run can be repeated exactly.
 */
public record RunConfig(
        String name,
        ModelConfig model,
        TrainConfig train,
        DataConfig data,
        CheckpointConfig checkpoint,
        SampleConfig sample,
        FinetuneConfig finetune,
        Path outputDir,
        String resolvedYaml) {

    public Path runDir() {
        return outputDir.resolve(name);
    }
}
