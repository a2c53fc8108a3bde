package dev.tlab.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.tlab.layers.Params;
import dev.tlab.layers.Precision;

/**
 * LayerNorm or RMSNorm over the last axis, with a learned gain ({@code weight}) and, for
 * LayerNorm with bias, a learned shift ({@code bias}).
 */
public class Norm extends AbstractBlock {

    private final NormType type;
    private final long features;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /** @param eps added to the variance (LayerNorm) or mean square (RMSNorm) before the square root */
    public Norm(NormType type, long features, boolean withBias, double eps) {
        this.type = type;
        this.features = features;
        this.eps = (float) eps;
        weight =
                addParameter(
                        Params.of("weight", Parameter.Type.GAMMA, new Shape(features), Initializer.ONES));
        bias =
                type == NormType.LAYERNORM && withBias
                        ? addParameter(
                                Params.of("bias", Parameter.Type.BETA, new Shape(features), Initializer.ZEROS))
                        : null;
    }

    public NDArray forward(ParameterStore ps, NDArray x) {
        if (type == NormType.LAYERNORM && x.getDataType() != DataType.FLOAT32) {
            // libtorch's LayerNorm keeps its statistics in float32 for half-precision input itself:
            // one kernel, where widening input, gain and shift and narrowing the result take eight.
            NDArray gain = ps.getValue(weight, x.getDevice(), true);
            NDArray shift = bias == null ? gain.zerosLike() : ps.getValue(bias, x.getDevice(), true);
            return x.getNDArrayInternal().layerNorm(x, new Shape(features), gain, shift, eps).singletonOrThrow();
        }
        // Statistics in float32 whatever the activations' type; the result goes back to that type.
        NDArray gain = Precision.widen(ps.getValue(weight, x.getDevice(), true));
        NDArray wide = Precision.widen(x);
        NDArray y;
        if (type == NormType.RMSNORM) {
            // x / sqrt(mean(x^2) + eps) * g: no centring, no shift.
            NDArray rms = wide.square().mean(new int[] {-1}, true).add(eps).sqrt();
            y = wide.div(rms).mul(gain);
        } else {
            NDArray shift = bias == null ? gain.zerosLike() : Precision.widen(ps.getValue(bias, x.getDevice(), true));
            y = wide.getNDArrayInternal().layerNorm(wide, new Shape(features), gain, shift, eps).singletonOrThrow();
        }
        return Precision.narrow(y, x.getDataType());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
