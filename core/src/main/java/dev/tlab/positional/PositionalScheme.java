package dev.tlab.positional;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

/**
 * How positions reach the model. Each scheme implements the hooks it needs; the layer code calls
 * all of them and never switches on the scheme. {@code offset} is the position of the first query
 * token, which is non-zero during cached generation; keys always start at position 0.
 */
public interface PositionalScheme {

    /** Adds a position signal to token embeddings {@code [B, T, C]}. */
    default NDArray embed(ParameterStore ps, NDArray x, long offset) {
        return x;
    }

    /** Rotates queries or keys {@code [B, H, T, D]} whose first token sits at {@code offset}. */
    default NDArray rotate(NDArray x, long offset) {
        return x;
    }

    /**
     * An additive attention bias {@code [H, queries, keys]}, or null for none. Query i sits at
     * {@code offset + i}, key j at j.
     */
    default NDArray bias(ParameterStore ps, long queries, long keys, long offset, Device device) {
        return null;
    }

    /** The longest sequence the scheme can place; unbounded unless it has a fixed table. */
    default long maxLength() {
        return Long.MAX_VALUE;
    }

    /** Gives the scheme the model's manager, which owns its cached tables. */
    default void bind(NDManager owner) {}

    /** No position signal. */
    PositionalScheme NONE = new PositionalScheme() {};
}
