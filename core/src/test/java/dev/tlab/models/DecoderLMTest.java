package dev.tlab.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DecoderLMTest {

    @ParameterizedTest
    @CsvSource({
        "pre, layernorm, learned, true, true",
        "pre, layernorm, learned, false, true",
        "post, layernorm, learned, true, true",
        "pre, rmsnorm, none, true, false",
        "post, rmsnorm, learned, false, false",
        "pre, layernorm, none, false, false"
    })
    void parameterCountMatchesFormula(String placement, String norm, String positional, boolean tied, boolean bias) {
        ModelConfig config =
                Models.tiny(NormPlacement.parse(placement), NormType.parse(norm), PositionalKind.parse(positional), tied, bias);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            long counted = model.namedParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            assertEquals(config.parameterCount(), counted);
        }
    }

    @Test
    void babyConfigHasNanoGptParameterCount() {
        // 4 layers, d 128, vocab 65, context 64, tied: 12 L d^2 + 13 L d + V d + T d + 2 d.
        ModelConfig baby = ModelConfig.builder().vocabSize(65).build();
        long d = 128;
        assertEquals(12 * 4 * d * d + 13 * 4 * d + 65 * d + 64 * d + 2 * d, baby.parameterCount());
    }

    @Test
    void trainingFlopsFollowNanoGptEstimate() {
        ModelConfig baby = ModelConfig.builder().vocabSize(65).build();
        long withoutPositions = baby.parameterCount() - 64 * 128;
        assertEquals(6.0 * withoutPositions + 12.0 * 4 * 128 * 64, baby.trainingFlopsPerToken());
    }

    @Test
    void parametersHaveStableReadableNames() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, ?> names = DecoderLM.create(Models.tiny(), manager).namedParameters();
            assertTrue(names.containsKey("wte.weight"), names.keySet().toString());
            assertTrue(names.containsKey("wpe.weight"));
            assertTrue(names.containsKey("h.0.attn.qkv.weight"));
            assertTrue(names.containsKey("h.1.mlp.proj.bias"));
            assertTrue(names.containsKey("h.1.ln2.weight"));
            assertTrue(names.containsKey("lnf.bias"));
        }
    }

    @Test
    void outputsLogitsPerPosition() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(Models.tiny(), manager);
            NDArray tokens = manager.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 4));
            NDArray logits = model.forward(new ParameterStore(manager, false), tokens, false);
            assertArrayEquals(new long[] {2, 4, 11}, logits.getShape().getShape());
        }
    }

    @Test
    void futureTokensDoNotChangeEarlierLogits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(Models.tiny(), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            float[] a = model.forward(ps, manager.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6)), false).get(0, 2).toFloatArray();
            float[] b = model.forward(ps, manager.create(new long[] {1, 2, 3, 9, 9, 9}, new Shape(1, 6)), false).get(0, 2).toFloatArray();
            assertArrayEquals(a, b, 0f);
        }
    }

    @Test
    void tiedHeadReusesTheEmbeddingTable() {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(Models.tiny(), manager);
            var params = model.namedParameters();
            assertTrue(!params.containsKey("head.weight"));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray tokens = manager.create(new long[] {1, 2, 3}, new Shape(1, 3));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(ps, tokens, true).get(0, 2, 10));
            }
            // Token 10 never appears in the input, so its row's gradient can only come from the head.
            float[] grad = params.get("wte.weight").getArray().getGradient().get(10).toFloatArray();
            double magnitude = 0;
            for (float g : grad) {
                magnitude += Math.abs(g);
            }
            assertTrue(magnitude > 0, "tied head did not reach the embedding table");
        }
    }

    @Test
    void contextOverflowIsANamedError() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(Models.tiny(), manager);
            NDArray tokens = manager.zeros(new Shape(1, 7), ai.djl.ndarray.types.DataType.INT64);
            var e = assertThrows(IllegalArgumentException.class, () -> model.forward(new ParameterStore(manager, false), tokens, false));
            assertTrue(e.getMessage().contains("model.context"), e.getMessage());
        }
    }

    @Test
    void configRejectsWidthNotDivisibleByHeads() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Models.tinyBuilder().heads(3).build());
        assertTrue(e.getMessage().contains("model.d_model (8) must be divisible by model.heads (3)"), e.getMessage());
    }
}
