package dev.tlab.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.layers.Biases;
import dev.tlab.layers.FfnKind;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parts of today's open models (grouped-query attention, a head size apart from the width,
 * biases by part, QK-norm, scaled RoPE) across schemes and model types: cached decoding equals the
 * full sequence, and the parameter count equals the formula.
 */
class ModernPartsTest {

    /** 4 heads over d 16, rope, rmsnorm, swiglu: a small Llama; each case changes some of it. */
    private static ModelConfig.Builder llama() {
        return ModelConfig.builder().vocabSize(13).layers(2).heads(4).dModel(16).dFf(24).context(12)
                .ffn(FfnKind.SWIGLU).norm(NormType.RMSNORM).positional(PositionalKind.ROPE).tieEmbeddings(false);
    }

    static Stream<ModelConfig> configs() {
        List<ModelConfig> all = new ArrayList<>();
        for (PositionalKind positional : List.of(PositionalKind.ROPE, PositionalKind.LEARNED, PositionalKind.ALIBI)) {
            all.add(llama().positional(positional).kvHeads(1).build());
            all.add(llama().positional(positional).kvHeads(2).build());
            all.add(llama().positional(positional).kvHeads(2).headDim(8).build());
            all.add(llama().positional(positional).headDim(2).build());
            all.add(llama().positional(positional).kvHeads(2).headDim(8).qkNorm(true).build());
            all.add(llama().positional(positional).kvHeads(2).bias(new Biases(true, false, false, false)).build());
            all.add(llama().positional(positional).norm(NormType.LAYERNORM).bias(new Biases(false, true, true, true)).build());
        }
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void cachedDecodingMatchesTheFullSequence(ModelConfig config) {
        Engine.getInstance().setRandomSeed(31);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
            NDArray full = model.forward(ps, manager.create(ids, new Shape(1, ids.length)), false);
            try (KvCache cache = new KvCache(manager)) {
                NDArray prefix = model.forward(ps, manager.create(new long[] {3, 1, 4}, new Shape(1, 3)), cache, false);
                assertClose(full.get(":, 0:3"), prefix, config + " prefill");
                for (int t = 3; t < ids.length; t++) {
                    NDArray step = model.forward(ps, manager.create(new long[] {ids[t]}, new Shape(1, 1)), cache, false);
                    assertClose(full.get(new NDIndex(":, {}:{}", t, t + 1)), step, config + " position " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void encoderDecoderCachedDecodingMatchesTeacherForcing(ModelConfig config) {
        Engine.getInstance().setRandomSeed(32);
        try (NDManager manager = NDManager.newBaseManager()) {
            EncoderDecoder model = EncoderDecoder.create(config.toBuilder().type(ModelType.ENCODER_DECODER).build(), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray source = manager.create(new long[] {5, 6, 7, 0}, new Shape(1, 4));
            NDArray valid = manager.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            long[] target = {1, 8, 9, 10};
            NDArray full = model.forward(ps, source, valid, manager.create(target, new Shape(1, 4)), null, false);
            NDArray memory = model.encode(ps, source, valid, false);
            try (KvCache cache = new KvCache(manager)) {
                for (int t = 0; t < target.length; t++) {
                    NDArray step = model.decode(ps, memory, valid, manager.create(new long[] {target[t]}, new Shape(1, 1)),
                            null, cache, false);
                    assertClose(full.get(new NDIndex(":, {}:{}", t, t + 1)), step, config + " position " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void parameterCountMatchesTheFormula(ModelConfig config) {
        for (ModelType type : ModelType.values()) {
            ModelConfig c = config.toBuilder().type(type).build();
            try (NDManager manager = NDManager.newBaseManager()) {
                TokenModel model = switch (type) {
                    case DECODER -> DecoderLM.create(c, manager);
                    case ENCODER -> Encoder.create(c, 0, manager);
                    case ENCODER_DECODER -> EncoderDecoder.create(c, manager);
                };
                long counted = model.namedParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                assertEquals(c.parameterCount(), counted, c.toString());
            }
        }
    }

    @Test
    void keyValueHeadsMustDivideTheHeads() {
        var e = assertThrows(IllegalArgumentException.class, () -> llama().kvHeads(3).build());
        assertTrue(e.getMessage().contains("model.kv_heads (3) must divide model.heads (4)"), e.getMessage());
    }

    static void assertClose(NDArray expected, NDArray actual, String what) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-4, what + " [" + i + "]");
        }
    }
}
