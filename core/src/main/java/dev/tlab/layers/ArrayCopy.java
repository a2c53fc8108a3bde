package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Writes values into an existing array's own storage, bit for bit and outside autograd (loading
 * weights and optimizer moments). {@code NDArray.set(Buffer)} would do the same, but DJL 0.36.0's
 * JNI takes libtorch's deprecated {@code AutoNonVariableTypeMode} guard there, and libtorch prints a
 * warning about it on stderr; an indexed put into a detached view of the array takes no such guard.
 */
public final class ArrayCopy {

    private static final NDIndex ALL = new NDIndex("...");

    private ArrayCopy() {}

    /** Copies {@code values} (same shape and type) into {@code target}. */
    public static void into(NDArray target, NDArray values) {
        if (!target.getShape().equals(values.getShape()) || target.getDataType() != values.getDataType()) {
            throw new IllegalArgumentException("cannot copy " + values.getDataType() + values.getShape() + " into "
                    + target.getDataType() + target.getShape());
        }
        // The detached view shares the storage but not the gradient, so the put is not recorded.
        try (NDArray detached = target.stopGradient()) {
            detached.set(ALL, values);
        }
    }

    /** Copies {@code values} (float32, as many as {@code target} holds) into {@code target}. */
    public static void into(NDArray target, float[] values) {
        try (NDArray source = target.getManager().create(values, target.getShape())) {
            into(target, source);
        }
    }
}
