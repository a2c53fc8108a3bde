package dev.tlab.profile;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Brackets each sublayer with identity markers that show up in the backward pass: a float input
 * and output are flipped twice along the last axis, which changes no value but adds two
 * {@code FlipBackward0} nodes (an op the models never use). PyTorch's autograd engine runs the
 * ready node with the highest sequence number first, so every gradient op of a sublayer runs
 * after its output marker and before its input marker; {@link BackwardTrace} reads the kinds
 * off the trace in reverse order of the markers recorded here.
 */
final class MarkingTimer implements SublayerTimer {

    /** A marker placed in the forward pass, in order. */
    record Mark(SublayerKind kind, boolean output) {}

    private final List<Mark> marks = new ArrayList<>();

    @Override
    public NDArray run(SublayerKind kind, NDArray x, UnaryOperator<NDArray> sublayer) {
        // Token ids (integers) carry no gradient, so they get no marker.
        if (x.getDataType().isFloating()) {
            x = mark(x);
            marks.add(new Mark(kind, false));
        }
        NDArray y = sublayer.apply(x);
        if (y.getDataType().isFloating()) {
            y = mark(y);
            marks.add(new Mark(kind, true));
        }
        return y;
    }

    private static NDArray mark(NDArray x) {
        return x.flip(-1).flip(-1);
    }

    List<Mark> marks() {
        return marks;
    }
}
