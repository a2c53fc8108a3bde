package dev.tlab.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.Collection;

/**
 * Scales all gradients together so their joint L2 norm is at most {@code maxNorm}, like
 * {@code torch.nn.utils.clip_grad_norm_}. Direction is kept; no component is clamped on its own.
 */
public final class GlobalNormClip {

    private GlobalNormClip() {}

    /** The joint L2 norm of every gradient; one host read. Call inside a scope. */
    public static double norm(Collection<Parameter> parameters) {
        NDArray sumOfSquares = null;
        for (Parameter parameter : parameters) {
            NDArray weight = parameter.getArray();
            if (!weight.hasGradient()) {
                continue;
            }
            NDArray squares = weight.getGradient().square().sum();
            sumOfSquares = sumOfSquares == null ? squares : sumOfSquares.add(squares);
        }
        return sumOfSquares == null ? 0 : Math.sqrt(sumOfSquares.getFloat());
    }

    /** The factor to multiply gradients by: 1 when within bounds or when clipping is off. */
    public static double factor(double norm, double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (norm + 1e-6);
    }
}
