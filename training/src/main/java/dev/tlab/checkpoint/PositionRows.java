package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Cuts learned position tables ({@code wpe.weight}; an encoder-decoder's {@code enc.wpe.weight} and
 * {@code dec.wpe.weight}) to their first rows, for a fine-tune at a shorter {@code model.context}
 * than the checkpoint's: row p still holds position p. Other positional schemes have no table whose
 * size depends on the context.
 *
 * @param saved the checkpoint's context (rows of its tables)
 * @param now the model's context
 */
public record PositionRows(long saved, long now) {

    public static final PositionRows SAME = new PositionRows(0, 0);

    /** Whether {@code name} is a position table that this cut turns from the saved shape into the model's. */
    public boolean applies(String name, Shape savedShape, Shape model) {
        return now < saved && (name.equals("wpe.weight") || name.endsWith(".wpe.weight"))
                && savedShape.dimension() == 2 && model.dimension() == 2
                && savedShape.get(0) == saved && model.get(0) == now && savedShape.get(1) == model.get(1);
    }

    /** The first {@link #now} rows, in the tensor's manager. */
    public NDArray cut(NDArray table) {
        return table.get(new NDIndex(":" + now));
    }
}
