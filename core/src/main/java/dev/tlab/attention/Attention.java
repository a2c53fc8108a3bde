package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import dev.tlab.layers.Dropout;
import dev.tlab.layers.Precision;
import dev.tlab.layers.Scalars;
import dev.tlab.layers.TableCache;

/**
 * Attention proper, {@code softmax(q k^T / sqrt(d_head) + masks + bias) v}, shared by {@link
 * SelfAttention} and {@link CrossAttention}, which differ only in where q, k and v come from.
 */
final class Attention {

    private Attention() {}

    /** Width per head; rejects a width the heads cannot split. */
    static long headDim(long dModel, int heads) {
        if (dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "model.d_model (" + dModel + ") must be divisible by model.heads (" + heads + ")");
        }
        return dModel / heads;
    }

    /** {@code [B, T, C]} to {@code [B, H, T, D]}, a view. */
    static NDArray heads(NDArray part, int heads) {
        long batch = part.getShape().get(0);
        long length = part.getShape().get(1);
        return part.reshape(batch, length, heads, part.getShape().get(2) / heads).transpose(0, 2, 1, 3);
    }

    /**
     * Queries {@code [B, H, Tq, D]} over keys and values {@code [B, H, Tk, D]}, heads merged back
     * to {@code [B, Tq, H * D]}. The additive terms are added to the scores in this order, each
     * skipped when null.
     *
     * @param causalMask {@code [Tq, Tk]} in the scores' type
     * @param bias the positional scheme's {@code [H, Tq, Tk]}
     * @param keyMask {@code [B, 1, 1, Tk]} over keys (see {@link Masks})
     */
    static NDArray mix(NDArray queries, NDArray keys, NDArray values, NDArray causalMask, NDArray bias,
            NDArray keyMask, double dropout, boolean training) {
        long batch = queries.getShape().get(0);
        long length = queries.getShape().get(2);
        long headDim = queries.getShape().get(3);
        // Scaling q (T x D) is cheaper than scaling the scores (T x T).
        NDArray scores = Scalars.times(queries, 1.0 / Math.sqrt(headDim)).matMul(keys.transpose(0, 1, 3, 2));
        if (causalMask != null) {
            scores = scores.add(causalMask);
        }
        if (bias != null) {
            // Learned biases already come in the activations' type; only constant tables are cast.
            scores = scores.add(TableCache.matching(bias, scores));
        }
        if (keyMask != null) {
            scores = scores.add(TableCache.matching(keyMask, scores));
        }
        // Softmax in float32 whatever the activations' type.
        NDArray probabilities = Precision.narrow(Precision.widen(scores).softmax(-1), scores.getDataType());
        NDArray weights = Dropout.apply(probabilities, dropout, training);
        return weights.matMul(values).transpose(0, 2, 1, 3).reshape(batch, length, queries.getShape().get(1) * headDim);
    }
}
