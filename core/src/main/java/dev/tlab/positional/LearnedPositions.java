package dev.tlab.positional;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.tlab.layers.Params;
import dev.tlab.layers.TokenEmbedding;

/** GPT-2's trained position table: row {@code p} is added to the embedding at position p. */
public class LearnedPositions extends AbstractBlock implements PositionalScheme {

    private final long context;
    private final Parameter weight;

    public LearnedPositions(long context, long dModel) {
        this.context = context;
        weight = addParameter(Params.of("weight", Parameter.Type.WEIGHT, new Shape(context, dModel), new NormalInitializer(0.02f)));
    }

    @Override
    public NDArray embed(ParameterStore ps, NDArray x, long offset) {
        long length = x.getShape().get(1);
        if (offset + length > context) {
            throw new IllegalArgumentException(
                    "position " + (offset + length - 1) + " is past model.context (" + context
                            + "); learned positions have no row for it (sinusoidal, rope, alibi, relative and none do)");
        }
        NDArray positions = x.getManager().arange(offset, offset + length, 1f, DataType.INT64, x.getDevice());
        NDArray table = ps.getValue(weight, x.getDevice(), true);
        return x.add(TokenEmbedding.lookup(positions, table));
    }

    @Override
    public long maxLength() {
        return context;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(embed(ps, inputs.singletonOrThrow(), 0));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
