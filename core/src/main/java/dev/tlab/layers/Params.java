package dev.tlab.layers;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;

/** One-line parameter declarations for the blocks. */
public final class Params {

    private Params() {}

    public static Parameter of(String name, Parameter.Type type, Shape shape, Initializer init) {
        return Parameter.builder().setName(name).setType(type).optShape(shape).optInitializer(init).build();
    }
}
