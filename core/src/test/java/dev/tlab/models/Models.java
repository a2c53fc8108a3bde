package dev.tlab.models;

import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;

/** Small configs for tests. */
public final class Models {

    private Models() {}

    public static ModelConfig tiny() {
        return new ModelConfig(11, 2, 2, 8, 0, 6, 0.0, NormPlacement.PRE, NormType.LAYERNORM, PositionalKind.LEARNED, true, true);
    }

    public static ModelConfig tiny(NormPlacement placement, NormType norm, PositionalKind positional, boolean tied, boolean bias) {
        return new ModelConfig(11, 2, 2, 8, 12, 6, 0.0, placement, norm, positional, tied, bias);
    }
}
