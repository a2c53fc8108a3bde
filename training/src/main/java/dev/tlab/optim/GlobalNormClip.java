package dev.tlab.optim;

/**
 * Scales all gradients together so their joint L2 norm is at most {@code maxNorm}, like
 * {@code torch.nn.utils.clip_grad_norm_}. Direction is kept; no component is clamped on its own.
 */
public final class GlobalNormClip {

    private GlobalNormClip() {}

    /** The factor to multiply gradients by: 1 when within bounds or when clipping is off. */
    public static double factor(double norm, double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (norm + 1e-6);
    }
}
