package dev.tlab.positional;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/**
 * How positions reach the model. Each scheme implements the hooks it needs; the layer code calls
 * all of them and never switches on the scheme. {@code offset} is the position of the first token
 * in {@code x}, which is non-zero during cached generation.
 */
public interface PositionalScheme {

    /** Adds a position signal to token embeddings {@code [B, T, C]}. */
    default NDArray embed(ParameterStore ps, NDArray x, long offset) {
        return x;
    }

    /** An additive attention bias broadcastable to {@code [B, H, Tq, Tk]}, or null for none. */
    default NDArray attentionBias(NDArray scores, long offset) {
        return null;
    }

    /** Builds the scheme for a model; learned tables become child blocks of the model. */
    static PositionalScheme create(PositionalKind kind, long context, long dModel) {
        return switch (kind) {
            case LEARNED -> new LearnedPositions(context, dModel);
            case NONE -> new PositionalScheme() {};
        };
    }
}
