package dev.tlab.norm;

import java.util.Locale;

/** Where the norm sits in a residual branch. */
public enum NormPlacement {
    /** {@code x + f(norm(x))}, plus one final norm before the head. */
    PRE,
    /** {@code norm(x + f(x))}: the original Transformer. */
    POST;

    public boolean hasFinalNorm() {
        return this == PRE;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NormPlacement parse(String value) {
        return EnumNames.parse(NormPlacement.class, "model.norm_placement", value);
    }
}
