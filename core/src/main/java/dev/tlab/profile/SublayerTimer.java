package dev.tlab.profile;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/**
 * Every sublayer call of a model goes through its timer. The default, {@link #OFF}, only calls
 * the sublayer: no clock, no device sync, no extra arrays. A profiler swaps in a timer that
 * measures, for the few steps it profiles.
 */
@FunctionalInterface
public interface SublayerTimer {

    /** Applies {@code sublayer} to {@code x}, attributing its cost to {@code kind}. */
    NDArray run(SublayerKind kind, NDArray x, UnaryOperator<NDArray> sublayer);

    /** Not timing: the sublayer alone. */
    SublayerTimer OFF = (kind, x, sublayer) -> sublayer.apply(x);
}
