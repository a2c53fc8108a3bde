package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import dev.tlab.util.EnumNames;
import java.util.Locale;

/**
 * GELU, exact or in GPT-2's tanh approximation. GPT-2 was trained with the approximation (Hugging
 * Face's {@code gelu_new}); its weights give slightly different logits under the exact form.
 */
public enum Gelu {
    /** {@code x * Phi(x)} with the error function: PyTorch's default {@code F.gelu}. */
    ERF,
    /** {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}: GPT-2's, {@code F.gelu(approximate="tanh")}. */
    TANH;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    public NDArray apply(NDArray x) {
        if (this == ERF) {
            return x.getNDArrayInternal().gelu();
        }
        // DJL's native gelu has no approximate argument, so the formula is spelled out; the
        // constants go through Scalars because backward runs through them.
        NDArray inner = Scalars.times(x.add(Scalars.times(x.pow(3), 0.044715)), SQRT_2_OVER_PI);
        return Scalars.times(x, 0.5).mul(inner.tanh().add(1));
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Gelu parse(String value) {
        return EnumNames.parse(Gelu.class, "model.gelu", value);
    }
}
