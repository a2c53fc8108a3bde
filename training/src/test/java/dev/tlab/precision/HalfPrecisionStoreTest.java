package dev.tlab.precision;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Precision;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.optim.AdamW;
import dev.tlab.positional.PositionalKind;
import org.junit.jupiter.api.Test;

class HalfPrecisionStoreTest {

    /** Half-precision logits and master gradients track float32 ones, for every positional scheme. */
    @Test
    void halfPrecisionForwardAndGradientsTrackFloat32() {
        for (PositionalKind kind : PositionalKind.values()) {
            for (NormPlacement placement : NormPlacement.values()) {
                ModelConfig config = ModelConfig.builder().vocabSize(11).layers(2).heads(2).context(6).dModel(16).positional(kind).normPlacement(placement)
                        .norm(placement == NormPlacement.PRE ? NormType.LAYERNORM : NormType.RMSNORM).build();
                float[][] full = run(config, false);
                float[][] mixed = run(config, true);
                for (int part = 0; part < 2; part++) {
                    String what = kind + "/" + placement + (part == 0 ? " logits" : " gradient of every weight");
                    assertClose(full[part], mixed[part], what);
                }
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst < 0.02 * scale, what + ": largest difference fp16 vs fp32 " + worst + " at scale " + scale);
    }

    /** Logits and every gradient, flattened in the optimizer's group order, after one forward and backward. */
    private static float[][] run(ModelConfig config, boolean half) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            AdamW optimizer = new AdamW(model.namedParameters(), 0.9, 0.99, 1e-8, 0.1, AdamW.State.FRESH);
            HalfPrecisionStore store = half ? new HalfPrecisionStore(manager, optimizer.packed()) : null;
            ParameterStore ps = half ? store : new ParameterStore(manager, false);
            NDArray tokens = manager.create(new long[] {1, 4, 2, 9, 3, 7, 5, 0, 8, 8, 2, 1}, new Shape(2, 6));
            NDArray logits;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                logits = Precision.widen(model.forward(ps, tokens, true));
                collector.backward(logits.logSoftmax(-1).get(":, :, 0").sum().neg());
            }
            NDList grads = new NDList();
            if (half) {
                grads.addAll(new NDList(store.gradients()));
                store.endStep();
            } else {
                for (AdamW.Packed group : optimizer.packed()) {
                    group.parameters().forEach(p -> grads.add(p.getArray().getGradient().flatten()));
                }
            }
            return new float[][] {logits.toFloatArray(), NDArrays.concat(grads).toFloatArray()};
        }
    }
}
