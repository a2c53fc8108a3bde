package dev.tlab.layers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import java.util.Collection;

/** One-line parameter declarations for the blocks, and gradient set-up. */
public final class Params {

    private Params() {}

    public static Parameter of(String name, Parameter.Type type, Shape shape, Initializer init) {
        return Parameter.builder().setName(name).setType(type).optShape(shape).optInitializer(init).build();
    }

    /**
     * Gives each parameter a real, zero gradient now. torch allocates a tensor's {@code .grad} on
     * the first backward that reaches it (until then DJL hands out a detached zeros array), so one
     * backward through all of them, times zero, does it.
     */
    public static void allocateGradients(Collection<Parameter> parameters) {
        try (NDScope ignored = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray zero = null;
            for (Parameter parameter : parameters) {
                NDArray term = Scalars.times(parameter.getArray().sum(), 0);
                zero = zero == null ? term : zero.add(term);
            }
            if (zero != null) {
                collector.backward(zero);
            }
        }
    }
}
