package dev.tlab.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelConfig;
import java.nio.file.Path;

/**
 * One run, fully resolved and validated; its model's vocabulary is 0 until the tokenizer is known
 * ({@link ModelConfig#forVocabulary}). {@link ConfigLoader} makes it; {@link #tree} writes it
 * back as the config tree that {@link ConfigLoader#fromTree} reads, for {@code state.json}.
 */
public record RunConfig(
        String name,
        ModelConfig model,
        TrainConfig train,
        DataConfig data,
        CheckpointConfig checkpoint,
        SampleConfig sample,
        FinetuneConfig finetune,
        MetricsConfig metrics,
        Path outputDir) {

    public RunConfig {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("name: use letters, digits, '.', '_' or '-', got '" + name + "'");
        }
    }

    public Path runDir() {
        return outputDir.resolve(name);
    }

    /** The same run in {@code runDir}: its name and output directory follow the directory. */
    public RunConfig withRunDir(Path runDir) {
        Path absolute = runDir.toAbsolutePath().normalize();
        return new RunConfig(absolute.getFileName().toString(), model, train, data, checkpoint, sample, finetune,
                metrics, absolute.getParent());
    }

    /** Every key with its resolved value, as a config file spells it. */
    public ObjectNode tree() {
        return ResolvedConfig.tree(this);
    }

    /** {@link #tree} as YAML, written next to a run's outputs so the run can be repeated exactly. */
    public String resolvedYaml() {
        return ResolvedConfig.yaml(this);
    }
}
