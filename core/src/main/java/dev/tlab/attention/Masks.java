package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Additive attention masks: 0 where attention is allowed, a large negative number where not. */
public final class Masks {

    /**
     * Finite in float16 too (max 65504), even added twice: a row whose keys are all masked then
     * gets finite weights instead of NaN. Next to an allowed key its exp underflows to exactly 0 in
     * float32 and float16 alike, so masked keys get no weight and no gradient.
     */
    public static final float BLOCKED = -30000f;

    private Masks() {}

    /**
     * Key padding: {@code valid [B, T]} (1 = token, 0 = padding, any numeric type) to an additive
     * mask {@code [B, 1, 1, T]} that broadcasts over heads and queries.
     */
    public static NDArray padding(NDArray valid) {
        long batch = valid.getShape().get(0);
        long length = valid.getShape().get(1);
        NDArray blocked = valid.toType(DataType.FLOAT32, false).neg().add(1f).mul(BLOCKED);
        return blocked.reshape(batch, 1, 1, length);
    }
}
