package dev.tlab.norm;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/** Which normalization a residual branch uses. */
public enum NormType {
    LAYERNORM,
    RMSNORM;

    /** Learned values per feature: gain, plus a shift for LayerNorm with bias. */
    public int parametersPerFeature(boolean bias) {
        return this == LAYERNORM && bias ? 2 : 1;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NormType parse(String value) {
        return EnumNames.parse(NormType.class, "model.norm", value);
    }
}
