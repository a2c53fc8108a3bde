package dev.tlab.attention;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.layers.Dense;
import dev.tlab.layers.Dropout;
import dev.tlab.positional.PositionalScheme;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Multi-head self-attention with one fused QKV projection:
 * {@code softmax(q k^T / sqrt(d_head) + mask + bias) v}, then an output projection.
 */
public class MultiHeadAttention extends AbstractBlock {

    private final int heads;
    private final long dModel;
    private final long headDim;
    private final boolean causal;
    private final double dropout;
    private final PositionalScheme positional;
    private final Dense qkv;
    private final Dense proj;
    /** Additive causal masks by (device, length); built once, they outlive every step scope. */
    private final Map<String, NDArray> causalMasks = new ConcurrentHashMap<>();

    /**
     * @param projInitStd init std of the output projection (GPT-2 scales it by 1/sqrt(2 layers))
     */
    public MultiHeadAttention(
            long dModel,
            int heads,
            boolean causal,
            double dropout,
            boolean bias,
            PositionalScheme positional,
            double projInitStd) {
        if (dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "model.d_model (" + dModel + ") must be divisible by model.heads (" + heads + ")");
        }
        this.heads = heads;
        this.dModel = dModel;
        this.headDim = dModel / heads;
        this.causal = causal;
        this.dropout = dropout;
        this.positional = positional;
        this.qkv = addChildBlock("qkv", new Dense(dModel, 3 * dModel, 0.02, bias));
        this.proj = addChildBlock("proj", new Dense(dModel, dModel, projInitStd, bias));
    }

    /** {@code x [B, T, C]} to {@code [B, T, C]}. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        // [B, T, 3C] -> [3, B, H, T, D]
        NDArray qkvHeads =
                qkv.forward(ps, x).reshape(batch, length, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        // Scaling q (T x D) is cheaper than scaling the scores (T x T).
        NDArray q = qkvHeads.get(0).mul(1.0 / Math.sqrt(headDim));
        NDArray k = qkvHeads.get(1);
        NDArray v = qkvHeads.get(2);

        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (causal) {
            scores = scores.add(causalMask(x.getManager(), length, x.getDevice()));
        }
        NDArray bias = positional.attentionBias(scores, 0);
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray weights = Dropout.apply(scores.softmax(-1), dropout, training);
        NDArray mixed = weights.matMul(v).transpose(0, 2, 1, 3).reshape(batch, length, dModel);
        return proj.forward(ps, mixed);
    }

    /** {@code [T, T]}: 0 on and below the diagonal, -inf above, so softmax gives future keys 0. */
    NDArray causalMask(NDManager manager, long length, Device device) {
        return causalMasks.computeIfAbsent(
                device + "/" + length,
                key -> {
                    int n = Math.toIntExact(length);
                    float[] mask = new float[n * n];
                    for (int row = 0; row < n; row++) {
                        for (int col = row + 1; col < n; col++) {
                            mask[row * n + col] = Float.NEGATIVE_INFINITY;
                        }
                    }
                    NDArray cached =
                            longLived(manager).create(mask, new Shape(n, n)).toDevice(device, false);
                    NDScope.unregister(cached);
                    return cached;
                });
    }

    /** The model's own manager, so the mask is freed with the model and not with a step. */
    private NDManager longLived(NDManager fallback) {
        var weight = qkv.weight();
        return weight.isInitialized() ? weight.getArray().getManager() : fallback;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        qkv.initialize(manager, dataType, inputShapes);
        proj.initialize(manager, dataType, inputShapes);
    }
}
