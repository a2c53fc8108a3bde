package dev.tlab.positional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

class PositionalSchemesTest {

    @Test
    void sinusoidalTableIsTheClosedForm() {
        int length = 20;
        int d = 10;
        try (NDManager manager = NDManager.newBaseManager()) {
            SinusoidalPositions scheme = new SinusoidalPositions(16, d);
            scheme.bind(manager);
            ParameterStore ps = new ParameterStore(manager, false);
            float[] table = scheme.embed(ps, manager.zeros(new Shape(1, length, d)), 0).toFloatArray();
            for (int p = 0; p < length; p++) {
                for (int i = 0; i < d / 2; i++) {
                    double angle = p / Math.pow(10000, 2.0 * i / d);
                    assertEquals(Math.sin(angle), table[p * d + 2 * i], 1e-6, "sin at p=" + p + ", i=" + i);
                    assertEquals(Math.cos(angle), table[p * d + 2 * i + 1], 1e-6, "cos at p=" + p + ", i=" + i);
                }
            }
            // An offset reads the same rows further down.
            float[] shifted = scheme.embed(ps, manager.zeros(new Shape(1, 2, d)), 7).toFloatArray();
            for (int i = 0; i < 2 * d; i++) {
                assertEquals(table[7 * d + i], shifted[i], 1e-7);
            }
        }
    }

    @Test
    void alibiSlopesFollowThePaperIncludingNonPowersOfTwo() {
        double[] eight = Alibi.slopes(8);
        for (int h = 0; h < 8; h++) {
            assertEquals(Math.pow(2, -(h + 1)), eight[h], 1e-12);
        }
        // Reference get_slopes(6): slopes of 4 heads, then every other slope of 8 heads.
        double[] six = Alibi.slopes(6);
        double[] expected = {0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125};
        for (int h = 0; h < 6; h++) {
            assertEquals(expected[h], six[h], 1e-12, "head " + h);
        }
    }

    @Test
    void alibiBiasIsTheClosedFormAndDependsOnDistanceOnly() {
        int heads = 3;
        double[] slopes = Alibi.slopes(heads);
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (boolean causal : new boolean[] {true, false}) {
                Alibi alibi = new Alibi(heads, 8, causal);
                alibi.bind(manager);
                float[] bias = alibi.bias(ps, 8, 8, 0, manager.getDevice()).toFloatArray();
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < 8; i++) {
                        for (int j = 0; j < 8; j++) {
                            int distance = causal ? Math.max(0, i - j) : Math.abs(i - j);
                            assertEquals(-slopes[h] * distance, bias[(h * 8 + i) * 8 + j], 1e-6);
                        }
                    }
                }
                // A query at position 5 seen through an offset gets the same row as in the full table.
                float[] row = alibi.bias(ps, 1, 6, 5, manager.getDevice()).toFloatArray();
                for (int h = 0; h < heads; h++) {
                    for (int j = 0; j < 6; j++) {
                        assertEquals(bias[(h * 8 + 5) * 8 + j], row[h * 6 + j], 0f);
                    }
                }
            }
        }
    }

    @Test
    void relativeBucketsFollowT5() {
        // Values from T5's _relative_position_bucket with 32 buckets, max distance 128.
        assertEquals(0, RelativeBias.bucket(0, true, 32, 128));
        assertEquals(16 + 3, RelativeBias.bucket(3, true, 32, 128));
        assertEquals(3, RelativeBias.bucket(-3, true, 32, 128));
        assertEquals(8, RelativeBias.bucket(-8, true, 32, 128));
        assertEquals(15, RelativeBias.bucket(-1000, true, 32, 128));
        assertEquals(31, RelativeBias.bucket(1000, true, 32, 128));
        assertEquals(15, RelativeBias.bucket(-15, false, 32, 128));
        assertEquals(16, RelativeBias.bucket(-16, false, 32, 128));
        assertEquals(31, RelativeBias.bucket(-500, false, 32, 128));
        // Causal: every future key shares bucket 0 with the query's own position.
        for (int ahead = 0; ahead < 50; ahead++) {
            assertEquals(0, RelativeBias.bucket(ahead, false, 32, 128));
        }
    }

    @Test
    void relativeBiasDependsOnDistanceOnlyAndIsCausalForDecoders() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (boolean causal : new boolean[] {true, false}) {
                RelativeBias rel = new RelativeBias(2, 12, 8, 16, causal);
                rel.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
                rel.bind(manager);
                int n = 12;
                float[] bias = rel.bias(ps, n, n, 0, manager.getDevice()).toFloatArray();
                for (int h = 0; h < 2; h++) {
                    for (int i = 0; i + 1 < n; i++) {
                        for (int j = 0; j + 1 < n; j++) {
                            assertEquals(bias[(h * n + i) * n + j], bias[(h * n + i + 1) * n + j + 1], 0f);
                        }
                    }
                    if (causal) {
                        for (int j = 1; j < n; j++) {
                            assertEquals(bias[h * n * n], bias[h * n * n + j], 0f, "future keys are indistinguishable");
                        }
                    }
                }
                // Different distances get different (learned, random-init) biases.
                assertNotEquals(bias[5 * n], bias[5 * n + 5]);
            }
        }
    }

    @Test
    void ropeScoreDependsOnlyOnRelativeDistance() {
        int d = 8;
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(4);
            NDArray q = manager.randomNormal(new Shape(1, 1, 1, d));
            NDArray k = manager.randomNormal(new Shape(1, 1, 1, d));
            for (double fraction : new double[] {1.0, 0.5}) {
                Rotary rope = new Rotary(16, d, fraction, 10000);
                rope.bind(manager);
                float base = score(rope, q, 5, k, 2);
                for (int shift : new int[] {1, 7, 40}) {
                    assertEquals(base, score(rope, q, 5 + shift, k, 2 + shift), 1e-4, "shift " + shift);
                }
                assertNotEquals(base, score(rope, q, 6, k, 2), 1e-3, "a different distance changes the score");
                // Rotation keeps the norm.
                assertEquals(q.norm().getFloat(), rope.rotate(q, 9).norm().getFloat(), 1e-5);
            }
        }
    }

    private static float score(Rotary rope, NDArray q, int m, NDArray k, int n) {
        return rope.rotate(q, m).mul(rope.rotate(k, n)).sum().getFloat();
    }

    @Test
    void learnedPositionsRefuseToGoPastTheirTable() {
        try (NDManager manager = NDManager.newBaseManager()) {
            LearnedPositions wpe = new LearnedPositions(4, 2);
            wpe.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 2));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> wpe.embed(new ParameterStore(manager, false), manager.zeros(new Shape(1, 2, 2)), 3));
            assertTrue(e.getMessage().contains("model.context (4)"), e.getMessage());
        }
    }
}
