package dev.tlab.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormType;
import org.junit.jupiter.api.Test;

/** model.gelu and model.norm_eps: each computes its formula and changes the model's output. */
class ModelOptionKeysTest {

    private static final float[] XS = {-4f, -2.5f, -1f, -0.3f, 0f, 0.2f, 1f, 1.7f, 3f, 6f};

    @Test
    void tanhGeluIsGpt2sFormulaAndDiffersSlightlyFromErf() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(XS);
            float[] tanh = Gelu.TANH.apply(x).toFloatArray();
            float[] erf = Gelu.ERF.apply(x).toFloatArray();
            double largest = 0;
            for (int i = 0; i < XS.length; i++) {
                double v = XS[i];
                double expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                assertEquals(expected, tanh[i], 1e-6, "tanh GELU at " + v);
                largest = Math.max(largest, Math.abs(tanh[i] - erf[i]));
            }
            // The approximation is off by a few 1e-4 around |x| ~ 2, and nowhere by much.
            assertTrue(largest > 1e-4 && largest < 1e-2, "largest difference " + largest);
        }
    }

    @Test
    void tanhGeluHasTheFormulasGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(XS);
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(Gelu.TANH.apply(x).sum());
            }
            float[] grad = x.getGradient().toFloatArray();
            for (int i = 0; i < XS.length; i++) {
                double v = XS[i];
                double h = 1e-3;
                double numeric = (gelu(v + h) - gelu(v - h)) / (2 * h);
                assertEquals(numeric, grad[i], 1e-4, "d gelu / dx at " + v);
            }
        }
    }

    private static double gelu(double v) {
        return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }

    @Test
    void layerNormUsesItsEpsilon() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Norm norm = new Norm(NormType.LAYERNORM, 4, true, 0.5);
            norm.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 4));
            float[] out = norm.forward(new ParameterStore(manager, false), manager.create(new float[] {1, 2, 3, 6}, new Shape(1, 4)))
                    .toFloatArray();
            double mean = 3;
            double variance = (4 + 1 + 0 + 9) / 4.0;
            for (int i = 0; i < 4; i++) {
                assertEquals((new double[] {1, 2, 3, 6}[i] - mean) / Math.sqrt(variance + 0.5), out[i], 1e-6);
            }
        }
    }

    @Test
    void bothKeysChangeADecodersLogits() {
        ModelConfig base = ModelConfig.builder().vocabSize(11).layers(1).heads(2).dModel(8).context(6).build();
        float[] reference = logits(base);
        assertNotEquals(0, difference(reference, logits(base.toBuilder().gelu(Gelu.TANH).build())));
        assertNotEquals(0, difference(reference, logits(base.toBuilder().normEps(1e-2).build())));
        assertEquals(0, difference(reference, logits(base)));
    }

    private static float[] logits(ModelConfig config) {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            NDArray tokens = manager.create(new long[] {1, 4, 2, 9, 3, 0}, new Shape(1, 6));
            return model.forward(new ParameterStore(manager, false), tokens, false).toFloatArray();
        }
    }

    private static double difference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
