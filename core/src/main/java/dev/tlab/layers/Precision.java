package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Casts that keep the gradient. DJL's {@code toType} runs under torch's no-grad guard, so a cast
 * with it cuts the graph; these go through ops that autograd records instead. In float32 runs both
 * are the identity and cost nothing.
 */
public final class Precision {

    private static final NDIndex ALL = new NDIndex("...");

    private Precision() {}

    /** {@code x} in float32: type promotion widens it in an add with a one-element float32 zero. */
    public static NDArray widen(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x;
        }
        return x.add(x.getManager().zeros(new Shape(1), DataType.FLOAT32, x.getDevice()));
    }

    /** {@code x} in {@code type}: an indexed put, whose backward casts the gradient back. */
    public static NDArray narrow(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        NDArray out = x.getManager().create(x.getShape(), type, x.getDevice());
        out.set(ALL, x);
        return out;
    }
}
