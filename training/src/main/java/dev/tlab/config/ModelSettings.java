package dev.tlab.config;

import dev.tlab.attention.AttentionKernel;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.FfnKind;
import dev.tlab.layers.Gelu;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelType;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;

/**
 * The {@code model} section: every architecture setting, but not the vocabulary, which comes from
 * the data. {@link #forVocabulary} makes the run's one complete {@link ModelConfig} once the
 * tokenizer is known. {@code type} is not a key: {@code data.task} decides it.
 */
public record ModelSettings(
        ModelType type,
        int layers,
        int encoderLayers,
        int heads,
        int dModel,
        int dFf,
        FfnKind ffn,
        Gelu gelu,
        int context,
        double dropout,
        NormPlacement normPlacement,
        NormType norm,
        double normEps,
        PositionalKind positional,
        double ropeBase,
        double ropeFraction,
        int relativeBuckets,
        int relativeMaxDistance,
        boolean tieEmbeddings,
        boolean bias,
        AttentionKernel attention) {

    public ModelSettings {
        // ModelConfig owns the shape rules; applying them now reports a bad value when the config loads.
        try {
            new ModelConfig(type, 0, layers, encoderLayers, heads, dModel, dFf, ffn, gelu, context, dropout, normPlacement,
                    norm, normEps, positional, ropeBase, ropeFraction, relativeBuckets, relativeMaxDistance, tieEmbeddings, bias,
                    attention);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** The model to build for a vocabulary of {@code vocabSize} tokens. */
    public ModelConfig forVocabulary(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabulary size must be >= 1, got " + vocabSize);
        }
        return new ModelConfig(type, vocabSize, layers, encoderLayers, heads, dModel, dFf, ffn, gelu, context, dropout,
                normPlacement, norm, normEps, positional, ropeBase, ropeFraction, relativeBuckets, relativeMaxDistance, tieEmbeddings, bias,
                attention);
    }
}
