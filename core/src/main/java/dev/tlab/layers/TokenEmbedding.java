package dev.tlab.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/** Token id {@code [B, T]} (int64) to vector {@code [B, T, C]}; the table can double as LM head. */
public class TokenEmbedding extends AbstractBlock {

    private final long dModel;
    private final Parameter weight;

    public TokenEmbedding(long vocabSize, long dModel) {
        this.dModel = dModel;
        weight =
                addParameter(
                        Params.of("weight", Parameter.Type.WEIGHT, new Shape(vocabSize, dModel), new NormalInitializer(0.02f)));
    }

    public NDArray forward(ParameterStore ps, NDArray tokens) {
        return lookup(tokens, ps.getValue(weight, tokens.getDevice(), true));
    }

    /** Rows of {@code table} at {@code ids}; the result belongs to the ids' manager, not the model's. */
    public static NDArray lookup(NDArray ids, NDArray table) {
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(dModel)};
    }
}
