package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Position-wise MLP: {@code proj(gelu(fc(x)))}, hidden width usually 4 x d_model. */
public class FeedForward extends AbstractBlock {

    private final Dense fc;
    private final Dense proj;

    public FeedForward(long dModel, long hidden, boolean bias, double projInitStd) {
        fc = addChildBlock("fc", new Dense(dModel, hidden, 0.02, bias));
        proj = addChildBlock("proj", new Dense(hidden, dModel, projInitStd, bias));
    }

    public NDArray forward(ParameterStore ps, NDArray x) {
        return proj.forward(ps, fc.forward(ps, x).getNDArrayInternal().gelu());
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

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        fc.initialize(manager, dataType, inputShapes);
        proj.initialize(manager, dataType, fc.getOutputShapes(inputShapes));
    }
}
