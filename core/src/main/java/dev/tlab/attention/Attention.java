package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.tlab.kernels.TorchKernels;
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
     * Key/value heads {@code [B, KV, T, D]} repeated for the query heads they serve, {@code [B, H, T,
     * D]}: head {@code h} reads key/value head {@code h / groups}, as Hugging Face's {@code repeat_kv}.
     */
    static NDArray shared(NDArray perKvHead, HeadLayout layout) {
        return layout.groups() == 1 ? perKvHead : perKvHead.repeat(1, layout.groups());
    }

    /**
     * Queries {@code [B, H, Tq, D]} over keys and values {@code [B, H, Tk, D]}, heads merged back
     * to {@code [B, Tq, H * D]}. The additive terms are added to the scores in this order, each
     * skipped when null.
     *
     * @param kernel fused or separate ops (see {@link AttentionKernel})
     * @param causalMask {@code [Tq, Tk]} in the scores' type
     * @param bias the positional scheme's {@code [H, Tq, Tk]}
     * @param keyMask {@code [B, 1, 1, Tk]} over keys (see {@link Masks})
     */
    static NDArray mix(AttentionKernel kernel, NDArray queries, NDArray keys, NDArray values, NDArray causalMask,
            NDArray bias, NDArray keyMask, double dropout, boolean training) {
        NDArray mixed = kernel.fusedFor(queries)
                ? fused(queries, keys, values, causalMask, bias, keyMask, training ? dropout : 0)
                : math(queries, keys, values, causalMask, bias, keyMask, dropout, training);
        return mergeHeads(mixed);
    }

    /** {@code softmax(q k^T / sqrt(d_head) + masks + bias) v} as separate ops, per head. */
    static NDArray math(NDArray queries, NDArray keys, NDArray values, NDArray causalMask, NDArray bias,
            NDArray keyMask, double dropout, boolean training) {
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
        return weights.matMul(values);
    }

    /**
     * The same through libtorch's {@code scaled_dot_product_attention}. A causal mask over a square
     * of scores, alone, becomes its {@code is_causal} flag, which CUDA's flash kernel takes; any
     * other combination is summed into one additive mask (its gradient reaches a learned bias).
     */
    static NDArray fused(NDArray queries, NDArray keys, NDArray values, NDArray causalMask, NDArray bias,
            NDArray keyMask, double dropoutRate) {
        NDArray rate = TorchKernels.number(dropoutRate);
        boolean square = queries.getShape().get(2) == keys.getShape().get(2);
        if (causalMask != null && square && bias == null && keyMask == null) {
            return TorchKernels.call("causal", queries, keys, values, rate);
        }
        NDArray mask = causalMask;
        for (NDArray term : new NDArray[] {bias, keyMask}) {
            if (term != null) {
                NDArray typed = TableCache.matching(term, queries);
                mask = mask == null ? typed : mask.add(typed);
            }
        }
        if (mask == null) {
            return TorchKernels.call("forward", queries, keys, values, rate);
        }
        return TorchKernels.call("masked", queries, keys, values, mask, rate);
    }

    /** {@code [B, H, T, D]} to {@code [B, T, H * D]}. */
    private static NDArray mergeHeads(NDArray perHead) {
        Shape shape = perHead.getShape();
        return perHead.transpose(0, 2, 1, 3).reshape(shape.get(0), shape.get(2), shape.get(1) * shape.get(3));
    }
}
