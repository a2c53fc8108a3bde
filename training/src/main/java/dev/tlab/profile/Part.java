package dev.tlab.profile;

import java.util.Locale;

/** A row of the profile table: where part of a training step's time goes. */
public enum Part {
    EMBEDDING("token lookup, position signal, embedding dropout"),
    ATTENTION("self- and cross-attention with masks, bias, rotation and projections"),
    FFN("position-wise MLP"),
    NORM("every LayerNorm / RMSNorm"),
    HEAD("hidden states to logits"),
    LOSS("cross-entropy after the head"),
    GLUE("residual adds, dropout and masks between sublayers"),
    DATA("building the batch and copying it to the device"),
    CLIP("global gradient norm and clip factor (fp16: overflow check, gradients to fp32 masters)"),
    OPTIMIZER("AdamW update"),
    BOOKKEEPING("freeing the step's arrays, summing micro-batch losses");

    private final String description;

    Part(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The row a model sublayer's time goes to. */
    static Part of(SublayerKind kind) {
        return valueOf(kind.name());
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
