package dev.tlab.positional;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/** How token positions reach the model. */
public enum PositionalKind {
    /** A trained table of {@code context x d_model} added to token embeddings (GPT-2). */
    LEARNED,
    /** Fixed sin/cos table added to token embeddings (Vaswani et al.). */
    SINUSOIDAL,
    /** A learned per-head bias on bucketed relative distance (T5). */
    RELATIVE,
    /** A fixed per-head linear distance penalty on the scores (Press et al.). */
    ALIBI,
    /** Queries and keys rotated by position (Su et al.). */
    ROPE,
    /** No position signal: causal attention alone must infer order. */
    NONE;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PositionalKind parse(String value) {
        return EnumNames.parse(PositionalKind.class, "model.positional", value);
    }
}
