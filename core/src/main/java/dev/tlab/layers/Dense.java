package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * {@code y = x W^T + b} over the last axis, any leading axes. Weight is {@code [out, in]}, as in
 * PyTorch, so checkpoints map one to one onto {@code nn.Linear}.
 */
public class Dense extends AbstractBlock {

    private final long outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * @param inFeatures width of the input's last axis
     * @param outFeatures width of the output's last axis
     * @param initStd standard deviation of the normal weight init
     * @param withBias whether to add a (zero-initialized) bias
     */
    public Dense(long inFeatures, long outFeatures, double initStd, boolean withBias) {
        this.outFeatures = outFeatures;
        weight =
                addParameter(
                        Params.of("weight", Parameter.Type.WEIGHT, new Shape(outFeatures, inFeatures), new NormalInitializer((float) initStd)));
        bias =
                withBias
                        ? addParameter(
                                Params.of("bias", Parameter.Type.BIAS, new Shape(outFeatures), Initializer.ZEROS))
                        : null;
    }

    public NDArray forward(ParameterStore ps, NDArray x) {
        NDArray w = ps.getValue(weight, x.getDevice(), true);
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), true);
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(outFeatures)};
    }

    public Parameter weight() {
        return weight;
    }
}
