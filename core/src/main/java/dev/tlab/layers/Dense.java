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
import java.util.ArrayList;
import java.util.List;

/**
 * {@code y = x W^T + b} over the last axis, any leading axes. Weight is {@code [out, in]}, as in
 * PyTorch, so checkpoints map one to one onto {@code nn.Linear}.
 *
 * <p>A fused projection (q, k and v in one matmul) names the slices of its output ({@link #parts}),
 * so that an {@link Adapter} (LoRA) can add to one projection of it; an adapter sees the input and
 * the output and returns the output it wants.
 */
public class Dense extends AbstractBlock {

    /** Rows {@code [offset, offset + size)} of the output, called {@code name} (q, k, v, o, gate, up, down). */
    public record Part(String name, long offset, long size) {}

    /** Adds to a projection's output, given its input: {@code y + delta(x)}. */
    public interface Adapter {
        NDArray apply(ParameterStore ps, NDArray x, NDArray y, boolean training);
    }

    private final long inFeatures;
    private final long outFeatures;
    private final Parameter weight;
    private final Parameter bias;
    private List<Part> parts = List.of();
    private Adapter adapter;

    /**
     * @param inFeatures width of the input's last axis
     * @param outFeatures width of the output's last axis
     * @param initStd standard deviation of the normal weight init
     * @param withBias whether to add a (zero-initialized) bias
     */
    public Dense(long inFeatures, long outFeatures, double initStd, boolean withBias) {
        this.inFeatures = inFeatures;
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

    /**
     * Names the output's slices, in order, with their widths (which must add up to the output's);
     * one name for the whole output of an unfused projection.
     */
    public Dense parts(List<String> names, long... sizes) {
        if (names.size() != sizes.length) {
            throw new IllegalArgumentException(names.size() + " part names for " + sizes.length + " sizes");
        }
        List<Part> out = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < sizes.length; i++) {
            out.add(new Part(names.get(i), offset, sizes[i]));
            offset += sizes[i];
        }
        if (offset != outFeatures) {
            throw new IllegalArgumentException("parts " + names + " cover " + offset + " of " + outFeatures + " outputs");
        }
        parts = List.copyOf(out);
        return this;
    }

    /** The named slices of the output; empty for a projection no adapter may target (the LM head). */
    public List<Part> parts() {
        return parts;
    }

    /** Sets (or, with null, removes) what adds to this projection's output. */
    public void setAdapter(Adapter adapter) {
        this.adapter = adapter;
    }

    public Adapter adapter() {
        return adapter;
    }

    /** Outside training: an adapter's dropout is off. */
    public NDArray forward(ParameterStore ps, NDArray x) {
        return forward(ps, x, false);
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray w = ps.getValue(weight, x.getDevice(), true);
        NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), true);
        NDArray y = x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
        return adapter == null ? y : adapter.apply(ps, x, y, training);
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

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }
}
