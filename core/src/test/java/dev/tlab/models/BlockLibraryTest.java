package dev.tlab.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.layers.FfnKind;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Behaviour of the model family across positional schemes, placements and model types. */
class BlockLibraryTest {

    private static ModelConfig config(PositionalKind positional) {
        return Models.tinyBuilder().positional(positional).relativeBuckets(8).relativeMaxDistance(16).build();
    }

    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void incrementalDecodingMatchesFullSequence(PositionalKind positional) {
        Engine.getInstance().setRandomSeed(21);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config(positional), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            long[] ids = {3, 1, 4, 1, 5, 9};
            NDArray full = model.forward(ps, manager.create(ids, new Shape(1, 6)), false);
            try (KvCache cache = new KvCache(manager)) {
                // A two-token prompt, then one token at a time.
                NDArray prefix = model.forward(ps, manager.create(new long[] {3, 1}, new Shape(1, 2)), cache, false);
                assertClose(full.get(":, 0:2"), prefix, positional + " prefill");
                for (int t = 2; t < ids.length; t++) {
                    NDArray step = model.forward(ps, manager.create(new long[] {ids[t]}, new Shape(1, 1)), cache, false);
                    assertClose(full.get(new NDIndex(":, {}:{}", t, t + 1)), step, positional + " position " + t);
                }
                assertEquals(6, cache.length());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void noFutureTokenReachesAnEarlierOutput(PositionalKind positional) {
        Engine.getInstance().setRandomSeed(22);
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig c = config(positional);
            DecoderLM model = DecoderLM.create(c, manager);
            ParameterStore ps = new ParameterStore(manager, true);
            NDArray embeddings = model.namedParameters().get("wte.weight").getArray();
            NDArray tokens = manager.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(ps, tokens, true).get(0, 2).sum());
            }
            // Rows of tokens 4, 5, 6 (positions 3..5) get no gradient from the output at position 2
            // (the tied head's gradient goes to every row, so compare with an untied model below).
            float[] grad = embeddings.getGradient().toFloatArray();
            assertTrue(grad.length > 0);
            DecoderLM untied = DecoderLM.create(c.toBuilder().tieEmbeddings(false).build(), manager);
            NDArray table = untied.namedParameters().get("wte.weight").getArray();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(untied.forward(ps, tokens, true).get(0, 2).sum());
            }
            float[] g = table.getGradient().toFloatArray();
            int d = c.dModel();
            for (int token = 4; token <= 6; token++) {
                for (int i = 0; i < d; i++) {
                    assertEquals(0f, g[token * d + i], 0f, positional + ": token " + token + " leaked into position 2");
                }
            }
            double past = 0;
            for (int i = 0; i < d; i++) {
                past += Math.abs(g[d + i]);
            }
            assertTrue(past > 0, "the first token must reach position 2");
        }
    }

    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void encoderDecoderCachedDecodingMatchesTeacherForcing(PositionalKind positional) {
        Engine.getInstance().setRandomSeed(23);
        try (NDManager manager = NDManager.newBaseManager()) {
            EncoderDecoder model = EncoderDecoder.create(config(positional), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray source = manager.create(new long[] {5, 6, 7, 0}, new Shape(1, 4));
            NDArray valid = manager.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            long[] target = {1, 8, 9, 10};
            NDArray full = model.forward(ps, source, valid, manager.create(target, new Shape(1, 4)), null, false);
            NDArray memory = model.encode(ps, source, valid, false);
            try (KvCache cache = new KvCache(manager)) {
                for (int t = 0; t < target.length; t++) {
                    NDArray step = model.decode(ps, memory, valid, manager.create(new long[] {target[t]}, new Shape(1, 1)), null, cache, false);
                    assertClose(full.get(new NDIndex(":, {}:{}", t, t + 1)), step, positional + " position " + t);
                }
            }
        }
    }

    @Test
    void crossAttentionSeesEncoderTokensButNotPadding() {
        Engine.getInstance().setRandomSeed(24);
        try (NDManager manager = NDManager.newBaseManager()) {
            EncoderDecoder model = EncoderDecoder.create(Models.tiny(), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray valid = manager.create(new long[] {1, 1, 1, 0, 0}, new Shape(1, 5));
            NDArray target = manager.create(new long[] {1, 2, 3}, new Shape(1, 3));
            float[] base = decode(model, ps, manager, new long[] {4, 5, 6, 2, 2}, valid, target);
            float[] changedToken = decode(model, ps, manager, new long[] {4, 9, 6, 2, 2}, valid, target);
            float[] changedPadding = decode(model, ps, manager, new long[] {4, 5, 6, 7, 10}, valid, target);
            assertTrue(maxDifference(base, changedToken) > 1e-4, "an encoder token must change the decoder output");
            assertEquals(0, maxDifference(base, changedPadding), 1e-6, "padding must not reach the decoder");
        }
    }

    private static float[] decode(EncoderDecoder model, ParameterStore ps, NDManager manager, long[] source, NDArray valid, NDArray target) {
        return model.forward(ps, manager.create(source, new Shape(1, source.length)), valid, target, null, false).toFloatArray();
    }

    @Test
    void encoderIgnoresPaddingAndSeesBothDirections() {
        Engine.getInstance().setRandomSeed(25);
        try (NDManager manager = NDManager.newBaseManager()) {
            Encoder model = Encoder.create(Models.tiny(), 3, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray valid = manager.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            float[] base = model.forward(ps, manager.create(new long[] {1, 2, 3, 0}, new Shape(1, 4)), valid, false).get(0, 0).toFloatArray();
            float[] pad = model.forward(ps, manager.create(new long[] {1, 2, 3, 9}, new Shape(1, 4)), valid, false).get(0, 0).toFloatArray();
            float[] later = model.forward(ps, manager.create(new long[] {1, 2, 7, 0}, new Shape(1, 4)), valid, false).get(0, 0).toFloatArray();
            assertEquals(0, maxDifference(base, pad), 1e-6, "padding is masked");
            assertTrue(maxDifference(base, later) > 1e-4, "position 0 sees a later token");
            NDArray classes = model.classify(ps, manager.create(new long[] {1, 2, 3, 0}, new Shape(1, 4)), valid, false);
            assertEquals(new Shape(1, 3), classes.getShape());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"decoder", "encoder", "encoder_decoder"})
    void parameterCountMatchesFormulaForEveryVariant(String type) {
        for (PositionalKind positional : PositionalKind.values()) {
            for (NormPlacement placement : NormPlacement.values()) {
                for (FfnKind ffn : FfnKind.values()) {
                    for (boolean tiedAndBias : new boolean[] {true, false}) {
                        ModelConfig c = config(positional).toBuilder().type(ModelType.parse(type)).normPlacement(placement)
                                .ffn(ffn).norm(tiedAndBias ? NormType.LAYERNORM : NormType.RMSNORM)
                                .tieEmbeddings(tiedAndBias).bias(tiedAndBias).encoderLayers(tiedAndBias ? 0 : 3).build();
                        try (NDManager manager = NDManager.newBaseManager()) {
                            TokenModel model = switch (c.type()) {
                                case DECODER -> DecoderLM.create(c, manager);
                                case ENCODER -> Encoder.create(c, 0, manager);
                                case ENCODER_DECODER -> EncoderDecoder.create(c, manager);
                            };
                            long counted = model.namedParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                            assertEquals(c.parameterCount(), counted, c.toString());
                        }
                    }
                }
            }
        }
    }

    @Test
    void swigluHiddenWidthIsTwoThirdsOfFourDRoundedToEight() {
        assertEquals(344, ModelConfig.builder().dModel(128).ffn(FfnKind.SWIGLU).build().ffHidden());
        assertEquals(512, ModelConfig.builder().dModel(128).build().ffHidden());
        assertEquals(100, ModelConfig.builder().dModel(128).ffn(FfnKind.SWIGLU).dFf(100).build().ffHidden());
    }

    @Test
    void encoderDecoderNamesItsStacks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            var names = EncoderDecoder.create(Models.tinyBuilder().positional(PositionalKind.RELATIVE).relativeBuckets(8)
                    .relativeMaxDistance(16).normPlacement(NormPlacement.SANDWICH).build(), manager).namedParameters().keySet();
            for (String name : new String[] {"wte.weight", "enc.rel.weight", "enc.h.0.attn.qkv.weight", "dec.h.1.xattn.q.weight",
                    "dec.h.1.xattn.kv.weight", "dec.h.0.postlnx.weight", "dec.lnf.weight", "enc.h.1.postln2.bias"}) {
                assertTrue(names.contains(name), name + " in " + names);
            }
        }
    }

    @Test
    void invalidCombinationsNameTheirKeys() {
        var rope = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.builder().dModel(36).heads(4).positional(PositionalKind.ROPE).build());
        assertTrue(rope.getMessage().contains("model.positional = rope") && rope.getMessage().contains("model.heads (9)"), rope.getMessage());
        var relative = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.builder().positional(PositionalKind.RELATIVE).relativeBuckets(7).build());
        assertTrue(relative.getMessage().contains("model.relative_buckets"), relative.getMessage());
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what);
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(0, maxDifference(e, a), 1e-5, what);
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
