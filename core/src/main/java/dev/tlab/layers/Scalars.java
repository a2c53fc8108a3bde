package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a Java number inside a graph that backward will run through. DJL's {@code
 * x.mul(2.0)} wraps the number in a tensor over a Java direct buffer and closes that wrapper at
 * once; the multiplication's backward keeps the tensor, so once the garbage collector frees the
 * buffer, backward reads whatever memory is there. Gradients then depend on GC timing: wrong now
 * and then, and never reproducible. These helpers make the constant in native memory, which the
 * graph keeps alive by reference count. (Addition and subtraction need no helper: their backward
 * does not read the number.)
 */
public final class Scalars {

    private Scalars() {}

    /** {@code x * c}, safe to differentiate. */
    public static NDArray times(NDArray x, double c) {
        return x.mul(constant(x, c));
    }

    /** {@code x / c}, safe to differentiate. */
    public static NDArray over(NDArray x, double c) {
        return x.div(constant(x, c));
    }

    private static NDArray constant(NDArray x, double c) {
        return x.getManager().full(new Shape(), (float) c, x.getDataType());
    }
}
