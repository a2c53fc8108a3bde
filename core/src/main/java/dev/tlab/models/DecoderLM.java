package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.KvCache;

/** A GPT: token ids {@code [B, T]} (int64) to next-token logits {@code [B, T, vocab]}. */
public class DecoderLM extends TokenModel {

    private final Stack stack;

    public DecoderLM(ModelConfig config) {
        super(config);
        stack = addStack(config.layers(), true, false, "");
        addHead();
    }

    /** Builds the model and its parameters in {@code manager}, which then owns them. */
    public static DecoderLM create(ModelConfig config, NDManager manager) {
        DecoderLM model = new DecoderLM(config);
        model.create(manager);
        return model;
    }

    public NDArray forward(ParameterStore ps, NDArray tokens, boolean training) {
        return forward(ps, tokens, null, training);
    }

    /**
     * Logits for {@code tokens}, which follow the {@code cache.length()} tokens already in the
     * cache (if any); the cache then holds them too.
     */
    public NDArray forward(ParameterStore ps, NDArray tokens, KvCache cache, boolean training) {
        return forward(ps, tokens, null, cache, training);
    }

    /**
     * @param attentionMask additive, broadcast over the scores {@code [B, H, T, keys]} on top of the
     *     causal mask, such as {@code [B, 1, T, T]} keeping packed examples apart (see {@link
     *     dev.tlab.attention.Masks}); or null
     */
    public NDArray forward(ParameterStore ps, NDArray tokens, NDArray attentionMask, KvCache cache, boolean training) {
        NDArray hidden = stack.forward(ps, embed(ps, tokens), attentionMask, null, null, cache, training);
        if (cache != null) {
            cache.advance(tokens.getShape().get(1));
        }
        return logits(ps, hidden, training);
    }

    /** The longest sequence the positional scheme can place. */
    public long maxLength() {
        return stack.positional().maxLength();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
