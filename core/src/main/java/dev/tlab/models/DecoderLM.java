package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.layers.Dense;
import dev.tlab.layers.Dropout;
import dev.tlab.layers.TokenEmbedding;
import dev.tlab.norm.Norm;
import dev.tlab.positional.PositionalScheme;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A GPT: token ids {@code [B, T]} (int64) to next-token logits {@code [B, T, vocab]}. */
public class DecoderLM extends AbstractBlock {

    private final ModelConfig config;
    private final TokenEmbedding wte;
    private final PositionalScheme positional;
    private final List<TransformerBlock> layers = new ArrayList<>();
    private final Norm lnf;
    private final Dense head;

    public DecoderLM(ModelConfig config) {
        if (config.vocabSize() < 1) {
            throw new IllegalArgumentException("the model needs a vocabulary size; set it from the tokenizer");
        }
        this.config = config;
        wte = addChildBlock("wte", new TokenEmbedding(config.vocabSize(), config.dModel()));
        positional =
                PositionalScheme.create(config.positional(), config.context(), config.dModel());
        if (positional instanceof Block table) {
            addChildBlock("wpe", table);
        }
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("h." + i, new TransformerBlock(config, true, positional)));
        }
        lnf =
                config.normPlacement().hasFinalNorm()
                        ? addChildBlock("lnf", new Norm(config.norm(), config.dModel(), config.bias()))
                        : null;
        head =
                config.tieEmbeddings()
                        ? null
                        : addChildBlock(
                                "head", new Dense(config.dModel(), config.vocabSize(), 0.02, false));
    }

    /** Builds the model and its parameters in {@code manager}, which then owns them. */
    public static DecoderLM create(ModelConfig config, NDManager manager) {
        DecoderLM model = new DecoderLM(config);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, config.context()));
        return model;
    }

    public NDArray forward(ParameterStore ps, NDArray tokens, boolean training) {
        long length = tokens.getShape().get(1);
        if (length > config.context()) {
            throw new IllegalArgumentException(
                    "input of " + length + " tokens is longer than model.context (" + config.context() + ")");
        }
        NDArray x = positional.embed(ps, wte.forward(ps, tokens), 0);
        x = Dropout.apply(x, config.dropout(), training);
        for (TransformerBlock layer : layers) {
            x = layer.forward(ps, x, training);
        }
        if (lnf != null) {
            x = lnf.forward(ps, x);
        }
        if (head != null) {
            return head.forward(ps, x);
        }
        NDArray table = ps.getValue(wte.weight(), x.getDevice(), training);
        return x.getNDArrayInternal().linear(x, table, null).singletonOrThrow();
    }

    /** Parameters under stable, PyTorch-style names such as {@code h.0.attn.qkv.weight}. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (var pair : getParameters()) {
            named.put(ParameterNames.clean(pair.getKey()), pair.getValue());
        }
        return named;
    }

    public ModelConfig config() {
        return config;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0].add(config.dModel());
        wte.initialize(manager, dataType, inputShapes);
        for (var child : getChildren().values()) {
            if (child != wte) {
                child.initialize(manager, dataType, hidden);
            }
        }
    }
}
