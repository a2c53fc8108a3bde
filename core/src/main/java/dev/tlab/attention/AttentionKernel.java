package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import dev.tlab.kernels.TorchKernels;
import dev.tlab.util.EnumNames;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How attention is computed ({@code model.attention}). The choice changes speed and memory, not
 * the weights, so it is free to differ between a checkpoint and the run that loads it.
 */
public enum AttentionKernel {
    /** {@code sdpa} on a GPU, {@code math} on the CPU, where the fused kernel measured no faster. */
    AUTO,
    /**
     * libtorch's {@code scaled_dot_product_attention} through {@link TorchKernels}: on CUDA it picks
     * flash or memory-efficient kernels, which never keep the {@code [T, T]} scores for backward.
     */
    SDPA,
    /** Scores, masks, softmax and the weighted sum as separate ops ({@link Attention#math}). */
    MATH;

    private static final Logger LOG = LoggerFactory.getLogger(AttentionKernel.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AttentionKernel parse(String value) {
        return EnumNames.parse(AttentionKernel.class, "model.attention", value);
    }

    /** What runs on a GPU or a CPU, for a run's header: {@code sdpa}, {@code math}, {@code auto (math)}. */
    public String describe(boolean onGpu) {
        String reason = TorchKernels.unavailableReason();
        boolean wanted = this == SDPA || (this == AUTO && onGpu);
        String used = wanted && reason == null ? "sdpa" : "math";
        if (this == AUTO) {
            return "auto (" + used + ")";
        }
        return wanted && reason != null ? "sdpa (runs as math: " + reason + ")" : used;
    }

    /** Whether attention over {@code queries} runs fused. */
    boolean fusedFor(NDArray queries) {
        return this != MATH && fused(queries.getDevice().isGpu(), TorchKernels.unavailableReason());
    }

    /**
     * The rule: {@code math} never fuses, {@code auto} only on a GPU, and neither when the kernels
     * did not load ({@code unavailable} says why; logged once instead of failing the run).
     */
    public boolean fused(boolean onGpu, String unavailable) {
        if (this == MATH || (this == AUTO && !onGpu)) {
            return false;
        }
        if (unavailable != null) {
            if (WARNED.add(unavailable)) {
                LOG.warn("model.attention = {}: attention runs as math because {}", this, unavailable);
            }
            return false;
        }
        return true;
    }
}
