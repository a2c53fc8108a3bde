package dev.tlab.norm;

import ai.djl.ndarray.NDArray;
import dev.tlab.layers.Dropout;
import java.util.function.UnaryOperator;

/** The one place norm placement is decided, for every residual branch of every model. */
public final class Residual {

    private Residual() {}

    /**
     * PRE: {@code x + drop(f(norm(x)))}; POST: {@code norm(x + drop(f(x)))}; SANDWICH: {@code x +
     * drop(outNorm(f(norm(x))))}. Dropout is on the branch output, never on the residual path.
     *
     * @param norm the branch's norm, applied as the placement says
     * @param outNorm the second norm of a sandwich branch; null otherwise
     * @param sublayer the branch, e.g. attention or the feed-forward
     */
    public static NDArray apply(
            NormPlacement placement,
            UnaryOperator<NDArray> norm,
            UnaryOperator<NDArray> outNorm,
            NDArray x,
            UnaryOperator<NDArray> sublayer,
            double dropout,
            boolean training) {
        return switch (placement) {
            case PRE -> x.add(Dropout.apply(sublayer.apply(norm.apply(x)), dropout, training));
            case POST -> norm.apply(x.add(Dropout.apply(sublayer.apply(x), dropout, training)));
            case SANDWICH -> x.add(Dropout.apply(outNorm.apply(sublayer.apply(norm.apply(x))), dropout, training));
        };
    }
}
