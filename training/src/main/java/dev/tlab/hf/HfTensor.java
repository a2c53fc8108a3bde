package dev.tlab.hf;

import java.util.Arrays;
import java.util.List;

/**
 * One row of a family's table of names: a tlab tensor and the Hugging Face tensors it is made of.
 * One part is renamed (and, for GPT-2's Conv1D, transposed); several parts are concatenated along
 * the first dimension into one of tlab's fused weights (q, k and v into {@code attn.qkv}; gate and
 * up into a SwiGLU's {@code mlp.fc}), and split again on export.
 *
 * @param tlab tlab's parameter name
 * @param parts Hugging Face's tensors in the order they are concatenated
 * @param transposed whether the single part is stored {@code [in, out]} (GPT-2's Conv1D)
 */
public record HfTensor(String tlab, List<Part> parts, boolean transposed) {

    /** A Hugging Face tensor: its name (without an optional prefix) and shape. */
    public record Part(String name, long[] shape) {
        @Override
        public String toString() {
            return name + Arrays.toString(shape);
        }
    }

    public HfTensor {
        parts = List.copyOf(parts);
        if (parts.isEmpty() || (transposed && (parts.size() != 1 || parts.get(0).shape().length != 2))) {
            throw new IllegalArgumentException(tlab + ": a transposed tensor is one matrix");
        }
    }

    /** A tensor copied under another name. */
    public static HfTensor renamed(String tlab, String hf, long... shape) {
        return new HfTensor(tlab, List.of(new Part(hf, shape)), false);
    }

    /** A Conv1D weight: Hugging Face's {@code [in, out]}, tlab's {@code [out, in]}. */
    public static HfTensor transposed(String tlab, String hf, long in, long out) {
        return new HfTensor(tlab, List.of(new Part(hf, new long[] {in, out})), true);
    }

    /** Tensors concatenated along their first dimension. */
    public static HfTensor fused(String tlab, Part... parts) {
        return new HfTensor(tlab, List.of(parts), false);
    }

    /** The shape in tlab's layout. */
    public long[] tlabShape() {
        long[] first = parts.get(0).shape();
        if (transposed) {
            return new long[] {first[1], first[0]};
        }
        long[] shape = first.clone();
        for (int i = 1; i < parts.size(); i++) {
            shape[0] += parts.get(i).shape()[0];
        }
        return shape;
    }
}
