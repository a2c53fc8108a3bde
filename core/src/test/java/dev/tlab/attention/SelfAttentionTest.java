package dev.tlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Biases;
import dev.tlab.positional.PositionalScheme;
import org.junit.jupiter.api.Test;

class SelfAttentionTest {

    @Test
    void futureInputsGetExactlyZeroGradient() {
        Engine.getInstance().setRandomSeed(7);
        int length = 5;
        int width = 8;
        try (NDManager manager = NDManager.newBaseManager()) {
            SelfAttention attn =
                    new SelfAttention(width, HeadLayout.multiHead(width, 2), true, 0.0, Biases.ALL, 0, PositionalScheme.NONE, 0.02, AttentionKernel.MATH);
            attn.initialize(manager, DataType.FLOAT32, new Shape(1, length, width));
            // Larger weights so that real dependencies give clearly non-zero gradients.
            for (var p : attn.getParameters().values()) {
                p.getArray().muli(50);
            }
            ParameterStore ps = new ParameterStore(manager, false);
            for (int t = 0; t < length; t++) {
                NDArray x = manager.randomNormal(new Shape(1, length, width));
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = attn.forward(ps, x, true);
                    gc.backward(out.get(0, t).sum());
                }
                float[][] grad = rows(x.getGradient(), length, width);
                for (int source = 0; source < length; source++) {
                    double magnitude = 0;
                    for (float g : grad[source]) {
                        magnitude += Math.abs(g);
                    }
                    if (source > t) {
                        assertEquals(0.0, magnitude, "output " + t + " depends on future input " + source);
                    } else {
                        assertNotEquals(0.0, magnitude, "output " + t + " ignores input " + source);
                    }
                }
            }
        }
    }

    @Test
    void matchesHandComputedExample() {
        // One head, d = 2, every projection the identity: q = k = v = x, output = mixed values.
        try (NDManager manager = NDManager.newBaseManager()) {
            SelfAttention attn =
                    new SelfAttention(2, HeadLayout.multiHead(2, 1), true, 0.0, Biases.ALL, 0, PositionalScheme.NONE, 0.02, AttentionKernel.MATH);
            attn.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 2));
            var params = attn.getParameters();
            params.get("01qkv_weight").getArray().set(new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1});
            params.get("02proj_weight").getArray().set(new float[] {1, 0, 0, 1});
            NDArray x = manager.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(1, 3, 2));
            float[] out = attn.forward(new ParameterStore(manager, false), x, false).toFloatArray();

            double s = 1 / Math.sqrt(2);
            // Row 0 sees only itself.
            double[] expected = new double[6];
            expected[0] = 1;
            expected[1] = 0;
            // Row 1: scores [x1.x0, x1.x1] * s = [0, s].
            double[] w1 = softmax(0, s);
            expected[2] = w1[0];
            expected[3] = w1[1];
            // Row 2: x2 = (1,1): scores [1, 1, 2] * s.
            double[] w2 = softmax(s, s, 2 * s);
            expected[4] = w2[0] + w2[2];
            expected[5] = w2[1] + w2[2];
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[i], out[i], 1e-6, "output " + i);
            }
        }
    }

    @Test
    void headsSplitTheWidth() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SelfAttention attn =
                    new SelfAttention(12, HeadLayout.multiHead(12, 3), false, 0.0, Biases.NONE, 0, PositionalScheme.NONE, 0.02, AttentionKernel.MATH);
            attn.initialize(manager, DataType.FLOAT32, new Shape(2, 4, 12));
            NDArray out = attn.forward(new ParameterStore(manager, false), manager.randomNormal(new Shape(2, 4, 12)), false);
            assertArrayEquals(new long[] {2, 4, 12}, out.getShape().getShape());
        }
    }

    private static double[] softmax(double... scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        double[] out = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            out[i] = Math.exp(scores[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    private static float[][] rows(NDArray array, int rows, int cols) {
        float[] flat = array.toFloatArray();
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    @Test
    void theCacheHoldsOnlyTheKeyValueHeads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SelfAttention attn = new SelfAttention(16, new HeadLayout(4, 1, 4), true, 0.0, Biases.ALL, 0, PositionalScheme.NONE,
                    0.02, AttentionKernel.MATH);
            attn.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 16));
            ParameterStore ps = new ParameterStore(manager, false);
            try (KvCache cache = new KvCache(manager)) {
                attn.forward(ps, manager.randomNormal(new Shape(1, 3, 16)), null, cache, false);
                assertEquals(new Shape(1, 1, 3, 4), cache.get(attn)[0].getShape());
                assertEquals(new Shape(1, 1, 3, 4), cache.get(attn)[1].getShape());
            }
        }
    }
}
