package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.tlab.attention.KvCache;
import dev.tlab.attention.Masks;

/**
 * The original Transformer: a bidirectional encoder over the source, and a causal decoder whose
 * blocks cross-attend to the encoder output. Source and target share one token table (and the LM
 * head when tied).
 */
public class EncoderDecoder extends TokenModel {

    private final Stack encoder;
    private final Stack decoder;

    public EncoderDecoder(ModelConfig config) {
        super(config);
        encoder = addStack(config.encoderDepth(), false, false, "enc.");
        decoder = addStack(config.layers(), true, true, "dec.");
        addHead();
    }

    public static EncoderDecoder create(ModelConfig config, NDManager manager) {
        EncoderDecoder model = new EncoderDecoder(config);
        model.create(manager);
        return model;
    }

    /** The encoder output {@code [B, S, C]}; {@code sourceValid [B, S]} marks real tokens (or null). */
    public NDArray encode(ParameterStore ps, NDArray source, NDArray sourceValid, boolean training) {
        NDArray mask = sourceValid == null ? null : Masks.padding(sourceValid);
        return encoder.forward(ps, embed(ps, source), mask, null, null, null, training);
    }

    /**
     * Next-token logits {@code [B, T, vocab]} for {@code target}, attending to {@code memory}. With a
     * cache, target follows the tokens already decoded and the encoder's keys are computed once.
     */
    public NDArray decode(ParameterStore ps, NDArray memory, NDArray sourceValid, NDArray target,
            NDArray targetValid, KvCache cache, boolean training) {
        NDArray memoryMask = sourceValid == null ? null : Masks.padding(sourceValid);
        NDArray selfMask = targetValid == null ? null : Masks.padding(targetValid);
        NDArray hidden = decoder.forward(ps, embed(ps, target), selfMask, memory, memoryMask, cache, training);
        if (cache != null) {
            cache.advance(target.getShape().get(1));
        }
        return logits(ps, hidden, training);
    }

    /** Teacher-forced logits: encode the source, decode the whole target. */
    public NDArray forward(ParameterStore ps, NDArray source, NDArray sourceValid, NDArray target,
            NDArray targetValid, boolean training) {
        NDArray memory = encode(ps, source, sourceValid, training);
        return decode(ps, memory, sourceValid, target, targetValid, null, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.get(0), null, inputs.get(1), null, training));
    }
}
