package dev.tlab.positional;

import dev.tlab.norm.EnumNames;
import java.util.Locale;

/** How token positions reach the model. */
public enum PositionalKind {
    /** A trained table of {@code context x d_model} added to token embeddings. */
    LEARNED,
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
