package dev.tlab.layers;

import ai.djl.ndarray.NDArray;

/** Inverted dropout; the identity at rate 0 or outside training, so it costs nothing there. */
public final class Dropout {

    private Dropout() {}

    public static NDArray apply(NDArray x, double rate, boolean training) {
        if (!training || rate <= 0) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, (float) rate, true).singletonOrThrow();
    }
}
