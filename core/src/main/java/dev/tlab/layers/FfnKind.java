package dev.tlab.layers;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/** The feed-forward sublayer's activation. */
public enum FfnKind {
    /** {@code proj(gelu(fc(x)))}, hidden 4 x d_model. */
    GELU,
    /** {@code proj(silu(gate(x)) * up(x))}, hidden 2/3 x 4 x d_model rounded up to a multiple of 8. */
    SWIGLU;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FfnKind parse(String value) {
        return EnumNames.parse(FfnKind.class, "model.ffn", value);
    }
}
