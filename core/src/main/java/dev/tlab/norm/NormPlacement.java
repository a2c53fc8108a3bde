package dev.tlab.norm;

import dev.tlab.util.EnumNames;

/**
 * Where the norms sit in a residual branch {@code x + drop(f(x))}: the one place each placement is
 * defined. Branches, the final norm and the parameter count all ask it.
 */
public enum NormPlacement {
    /** {@code x + drop(f(norm(x)))}, plus one final norm before the head. */
    PRE(true, false, false),
    /** {@code norm(x + drop(f(x)))}: the original Transformer. */
    POST(false, false, true),
    /** {@code x + drop(norm(f(norm(x))))}, plus a final norm (CogView, NormFormer-like). */
    SANDWICH(true, true, false);

    private final boolean normsInput;
    private final boolean normsOutput;
    private final boolean normsSum;

    NormPlacement(boolean normsInput, boolean normsOutput, boolean normsSum) {
        this.normsInput = normsInput;
        this.normsOutput = normsOutput;
        this.normsSum = normsSum;
    }

    /** Whether the sublayer sees {@code norm(x)} rather than {@code x}. */
    public boolean normsInput() {
        return normsInput;
    }

    /** Whether the sublayer's output is normed before dropout and the residual add. */
    public boolean normsOutput() {
        return normsOutput;
    }

    /** Whether the residual sum {@code x + drop(...)} is normed. */
    public boolean normsSum() {
        return normsSum;
    }

    /** A stack whose branches end in a norm needs none before the head. */
    public boolean hasFinalNorm() {
        return !normsSum;
    }

    /** Norms per residual branch. */
    public int normsPerBranch() {
        return (normsInput ? 1 : 0) + (normsOutput ? 1 : 0) + (normsSum ? 1 : 0);
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static NormPlacement parse(String value) {
        return EnumNames.parse(NormPlacement.class, "model.norm_placement", value);
    }
}
