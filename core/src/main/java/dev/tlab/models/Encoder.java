package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.Masks;
import dev.tlab.layers.Dense;
import dev.tlab.profile.SublayerKind;

/**
 * A bidirectional stack (BERT-like) over token ids {@code [B, T]} with a key-padding mask. Two
 * heads: masked-LM logits over the vocabulary, and (when built with classes) a classifier over
 * the mean of the non-padding hidden states.
 */
public class Encoder extends TokenModel {

    private final Stack stack;
    private final Dense classifier;

    /** @param classes outputs of the classification head; 0 for none */
    public Encoder(ModelConfig config, int classes) {
        super(config);
        stack = addStack(config.layers(), false, false, "");
        addHead();
        classifier = classes > 0 ? addChildBlock("cls", new Dense(config.dModel(), classes, 0.02, true)) : null;
    }

    public static Encoder create(ModelConfig config, int classes, NDManager manager) {
        Encoder model = new Encoder(config, classes);
        model.create(manager);
        return model;
    }

    /** @param valid {@code [B, T]}, 1 for tokens and 0 for padding; null when nothing is padded */
    public NDArray encode(ParameterStore ps, NDArray tokens, NDArray valid, boolean training) {
        NDArray mask = valid == null ? null : Masks.padding(valid);
        return stack.forward(ps, embed(ps, tokens), mask, null, null, null, training);
    }

    /** Masked-LM logits {@code [B, T, vocab]}. */
    public NDArray forward(ParameterStore ps, NDArray tokens, NDArray valid, boolean training) {
        return logits(ps, encode(ps, tokens, valid, training), training);
    }

    /** Class logits {@code [B, classes]} from the mean over non-padding positions. */
    public NDArray classify(ParameterStore ps, NDArray tokens, NDArray valid, boolean training) {
        if (classifier == null) {
            throw new IllegalStateException("this encoder was built without a classification head");
        }
        NDArray hidden = encode(ps, tokens, valid, training);
        NDArray pooled;
        if (valid == null) {
            pooled = hidden.mean(new int[] {1});
        } else {
            NDArray weights = valid.toType(hidden.getDataType(), false).expandDims(-1);
            pooled = hidden.mul(weights).sum(new int[] {1}).div(weights.sum(new int[] {1}));
        }
        return timer().run(SublayerKind.HEAD, pooled, p -> classifier.forward(ps, p));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.get(0), inputs.size() > 1 ? inputs.get(1) : null, training));
    }
}
