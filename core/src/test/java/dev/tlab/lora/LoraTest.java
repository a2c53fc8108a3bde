package dev.tlab.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.ArrayCopy;
import dev.tlab.layers.FfnKind;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.EncoderDecoder;
import dev.tlab.models.ModelType;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.Models;
import dev.tlab.positional.PositionalKind;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraTest {

    private static final long[] TOKENS = {1, 4, 2, 9, 0, 7, 3, 5, 10, 6, 8, 2};

    private static ModelConfig swiglu() {
        return Models.tinyBuilder().ffn(FfnKind.SWIGLU).dFf(16).positional(PositionalKind.ROPE).build();
    }

    private static float[] logits(DecoderLM model, NDManager manager) {
        NDArray tokens = manager.create(TOKENS, new Shape(2, 6));
        return model.forward(new ParameterStore(manager, false), tokens, false).toFloatArray();
    }

    @Test
    void freshAdapterLeavesTheModelAsTheBase() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            DecoderLM model = DecoderLM.create(swiglu(), manager);
            float[] base = logits(model, manager);
            Lora lora = Lora.attach(model, new LoraSpec(4, 8, 0.0, List.of("all")), manager);
            assertArrayEquals(base, logits(model, manager), "B starts at zero");
            // A is uniform in +-1/sqrt(in), as peft's kaiming_uniform_(a=sqrt(5)).
            NDArray a = lora.parameters().get("h.0.attn.qkv.lora_a.q").getArray();
            assertEquals(new Shape(4, 8), a.getShape());
            float bound = (float) (1 / Math.sqrt(8));
            for (float v : a.toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, v + " within +-" + bound);
            }
            assertTrue(a.abs().max().getFloat() > bound / 2, "A is random");
            assertEquals(new Shape(16, 4), lora.parameters().get("h.1.mlp.fc.lora_b.gate").getArray().getShape());
            assertEquals(new Shape(8, 4), lora.parameters().get("h.1.mlp.proj.lora_b.down").getArray().getShape());
            // q, k, v, o, gate, up, down: two factors each, two layers.
            assertEquals(2 * 7 * 2, lora.parameters().size());
            assertEquals(lora.spec().parameters(model.config()), count(lora), "the formula the memory estimate uses");
        }
    }

    /** The adapted forward equals the base with {@code (alpha / rank) B A} added to each targeted slice of the weights. */
    /** Grouped-query attention with a head size apart from the width: q, k and v slices of different widths. */
    private static ModelConfig grouped() {
        return Models.tinyBuilder().ffn(FfnKind.SWIGLU).dFf(16).positional(PositionalKind.ROPE).heads(4).kvHeads(2)
                .headDim(4).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"all", "q,v", "k,o,up", "gate,down", "v", "grouped:all", "grouped:k,o"})
    void forwardEqualsTheMergedModel(String targetsAndShape) {
        boolean grouped = targetsAndShape.startsWith("grouped:");
        String targets = targetsAndShape.replaceFirst("^grouped:", "");
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            DecoderLM model = DecoderLM.create(grouped ? grouped() : swiglu(), manager);
            Lora lora = Lora.attach(model, new LoraSpec(3, 6, 0.0, List.of(targets.split(","))), manager);
            for (var entry : lora.parameters().entrySet()) {
                NDArray p = entry.getValue().getArray();
                ArrayCopy.into(p, manager.randomNormal(0, 0.3f, p.getShape(), p.getDataType()));
            }
            float[] adapted = logits(model, manager);
            lora.detach();
            float[] base = logits(model, manager);
            for (LoraAdapter adapter : lora.adapters().values()) {
                NDArray w = adapter.dense().weight().getArray();
                ArrayCopy.into(w, w.add(adapter.delta(manager)));
            }
            float[] merged = logits(model, manager);
            assertArrayEquals(merged, adapted, 1e-5f);
            double moved = 0;
            for (int i = 0; i < base.length; i++) {
                moved = Math.max(moved, Math.abs(base[i] - adapted[i]));
            }
            assertTrue(moved > 1e-3, "the adapter changes the output (" + moved + ")");
        }
    }

    private static long count(Lora lora) {
        return lora.parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    @ParameterizedTest
    @ValueSource(strings = {"q,v", "o,up,down", "all"})
    void parameterFormulaMatchesTheAdapters(String targets) {
        try (NDManager manager = NDManager.newBaseManager()) {
            LoraSpec spec = new LoraSpec(2, 4, 0, List.of(targets.split(",")));
            for (ModelConfig config : List.of(Models.tiny(), swiglu(), grouped(),
                    Models.tinyBuilder().type(ModelType.ENCODER_DECODER).encoderLayers(3).build())) {
                var model = config.type() == ModelType.ENCODER_DECODER ? EncoderDecoder.create(config, manager)
                        : DecoderLM.create(config, manager);
                assertEquals(spec.parameters(config), count(Lora.attach(model, spec, manager)), config.toString());
            }
        }
    }

    @Test
    void aTargetTheModelLacksIsNamed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(Models.tiny(), manager);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Lora.attach(model, new LoraSpec(2, 2, 0, List.of("q", "gate")), manager));
            assertTrue(e.getMessage().startsWith("'gate': the model has no such projection"), e.getMessage());
        }
    }
}
