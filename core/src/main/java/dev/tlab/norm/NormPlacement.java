package dev.tlab.norm;

import dev.tlab.util.EnumNames;

/** Where the norm sits in a residual branch. */
public enum NormPlacement {
    /** {@code x + f(norm(x))}, plus one final norm before the head. */
    PRE,
    /** {@code norm(x + f(x))}: the original Transformer. */
    POST,
    /** {@code x + norm(f(norm(x)))}, plus a final norm (CogView, NormFormer-like). */
    SANDWICH;

    public boolean hasFinalNorm() {
        return this != POST;
    }

    /** Norms per residual branch. */
    public int normsPerBranch() {
        return this == SANDWICH ? 2 : 1;
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static NormPlacement parse(String value) {
        return EnumNames.parse(NormPlacement.class, "model.norm_placement", value);
    }
}
