package dev.tlab.models;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/** Which model a config builds. */
public enum ModelType {
    /** GPT-style causal LM. */
    DECODER,
    /** Bidirectional stack with a padding mask and an MLM or classification head. */
    ENCODER,
    /** Encoder, then a causal decoder that cross-attends to it. */
    ENCODER_DECODER;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ModelType parse(String value) {
        return EnumNames.parse(ModelType.class, "model.type", value);
    }
}
