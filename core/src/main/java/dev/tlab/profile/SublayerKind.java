package dev.tlab.profile;

import java.util.Locale;

/** The parts of a model whose time a profile reports separately. */
public enum SublayerKind {
    /** Token table lookup, position signal added to it, embedding dropout. */
    EMBEDDING,
    /** Self- and cross-attention, with the scheme's rotation and bias, masks and output projection. */
    ATTENTION,
    /** The position-wise MLP (GELU or SwiGLU). */
    FFN,
    /** Every LayerNorm or RMSNorm: in the residual branches and the final norm. */
    NORM,
    /** Hidden states to logits (LM head, tied or not) or class scores. */
    HEAD;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
