package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * Position-wise MLP. GELU (exact or tanh, {@link Gelu}): {@code proj(drop(gelu(fc(x))))}. SwiGLU: {@code fc} projects to gate and
 * up halves in one matmul, then {@code proj(drop(silu(gate) * up))}.
 */
public class FeedForward extends AbstractBlock {

    private final FfnKind kind;
    private final Gelu gelu;
    private final long hidden;
    private final double dropout;
    private final Dense fc;
    private final Dense proj;

    public FeedForward(FfnKind kind, Gelu gelu, long dModel, long hidden, boolean bias, double dropout, double projInitStd) {
        this.kind = kind;
        this.gelu = gelu;
        this.hidden = hidden;
        this.dropout = dropout;
        long fcOut = kind == FfnKind.SWIGLU ? 2 * hidden : hidden;
        Dense in = new Dense(dModel, fcOut, 0.02, bias);
        fc = addChildBlock("fc", kind == FfnKind.SWIGLU ? in.parts(List.of("gate", "up"), hidden, hidden) : in.parts(List.of("up"), hidden));
        proj = addChildBlock("proj", new Dense(hidden, dModel, projInitStd, bias).parts(List.of("down"), dModel));
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = fc.forward(ps, x, training);
        NDArray activated;
        if (kind == FfnKind.SWIGLU) {
            NDArray gate = h.get(new NDIndex("..., :{}", hidden));
            NDArray up = h.get(new NDIndex("..., {}:", hidden));
            // silu(g) = g * sigmoid(g); DJL has no fused SiLU.
            activated = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
        } else {
            activated = gelu.apply(h);
        }
        return proj.forward(ps, Dropout.apply(activated, dropout, training), training);
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
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        fc.initialize(manager, dataType, inputShapes);
        proj.initialize(manager, dataType, inputShapes[0].slice(0, inputShapes[0].dimension() - 1).add(hidden));
    }
}
