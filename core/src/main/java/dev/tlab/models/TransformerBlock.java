package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.MultiHeadAttention;
import dev.tlab.layers.FeedForward;
import dev.tlab.norm.Norm;
import dev.tlab.norm.Residual;
import dev.tlab.positional.PositionalScheme;

/** One layer: a self-attention branch then a feed-forward branch, each residual. */
public class TransformerBlock extends AbstractBlock {

    private final ModelConfig config;
    private final Norm ln1;
    private final MultiHeadAttention attn;
    private final Norm ln2;
    private final FeedForward mlp;

    public TransformerBlock(ModelConfig config, boolean causal, PositionalScheme positional) {
        this.config = config;
        // GPT-2: projections into the residual stream get std 0.02 / sqrt(2 * layers).
        double projStd = 0.02 / Math.sqrt(2.0 * config.layers());
        ln1 = addChildBlock("ln1", new Norm(config.norm(), config.dModel(), config.bias()));
        attn =
                addChildBlock(
                        "attn",
                        new MultiHeadAttention(
                                config.dModel(),
                                config.heads(),
                                causal,
                                config.dropout(),
                                config.bias(),
                                positional,
                                projStd));
        ln2 = addChildBlock("ln2", new Norm(config.norm(), config.dModel(), config.bias()));
        mlp =
                addChildBlock(
                        "mlp",
                        new FeedForward(config.dModel(), config.ffHidden(), config.bias(), projStd));
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        double p = config.dropout();
        x = Residual.apply(config.normPlacement(), ln1, ps, x, h -> attn.forward(ps, h, training), p, training);
        return Residual.apply(config.normPlacement(), ln2, ps, x, h -> mlp.forward(ps, h), p, training);
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
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }
}
