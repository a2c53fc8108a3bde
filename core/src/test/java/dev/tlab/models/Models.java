package dev.tlab.models;

import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;

/** Small configs for tests. */
public final class Models {

    private Models() {}

    /** vocab 11, 2 layers, 2 heads, d 8, context 6. */
    public static ModelConfig.Builder tinyBuilder() {
        return ModelConfig.builder().vocabSize(11).layers(2).heads(2).dModel(8).context(6);
    }

    public static ModelConfig tiny() {
        return tinyBuilder().build();
    }

    public static ModelConfig tiny(NormPlacement placement, NormType norm, PositionalKind positional, boolean tied, boolean bias) {
        return tinyBuilder().dFf(12).normPlacement(placement).norm(norm).positional(positional)
                .tieEmbeddings(tied).bias(bias).build();
    }
}
