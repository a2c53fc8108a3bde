package dev.tlab.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Dropout;
import java.util.function.UnaryOperator;

/** The one place norm placement is decided, for every residual branch of every model. */
public final class Residual {

    private Residual() {}

    /**
     * PRE: {@code x + drop(f(norm(x)))}; POST: {@code norm(x + drop(f(x)))}; SANDWICH: {@code x +
     * drop(outNorm(f(norm(x))))}. Dropout is on the branch output, never on the residual path.
     *
     * @param outNorm the second norm of a sandwich branch; null otherwise
     * @param sublayer the branch, e.g. attention or the feed-forward
     */
    public static NDArray apply(
            NormPlacement placement,
            Norm norm,
            Norm outNorm,
            ParameterStore ps,
            NDArray x,
            UnaryOperator<NDArray> sublayer,
            double dropout,
            boolean training) {
        return switch (placement) {
            case PRE -> x.add(Dropout.apply(sublayer.apply(norm.forward(ps, x)), dropout, training));
            case POST -> norm.forward(ps, x.add(Dropout.apply(sublayer.apply(x), dropout, training)));
            case SANDWICH -> x.add(Dropout.apply(outNorm.forward(ps, sublayer.apply(norm.forward(ps, x))), dropout, training));
        };
    }
}
