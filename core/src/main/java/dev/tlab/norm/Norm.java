package dev.tlab.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.tlab.layers.Params;

/**
 * LayerNorm or RMSNorm over the last axis, with a learned gain ({@code weight}) and, for
 * LayerNorm with bias, a learned shift ({@code bias}).
 */
public class Norm extends AbstractBlock {

    public static final float EPS = 1e-5f;

    private final NormType type;
    private final long features;
    private final Parameter weight;
    private final Parameter bias;

    public Norm(NormType type, long features, boolean withBias) {
        this.type = type;
        this.features = features;
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
        NDArray gain = ps.getValue(weight, x.getDevice(), true);
        if (type == NormType.RMSNORM) {
            // x / sqrt(mean(x^2) + eps) * g: no centring, no shift.
            NDArray rms = x.square().mean(new int[] {-1}, true).add(EPS).sqrt();
            return x.div(rms).mul(gain);
        }
        NDArray shift = bias == null ? gain.zerosLike() : ps.getValue(bias, x.getDevice(), true);
        return x.getNDArrayInternal()
                .layerNorm(x, new Shape(features), gain, shift, EPS)
                .singletonOrThrow();
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
