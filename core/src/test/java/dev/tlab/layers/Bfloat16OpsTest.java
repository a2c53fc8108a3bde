package dev.tlab.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * bfloat16 through DJL on a JNI library built by scripts/build-djl-jni.sh: casts both ways,
 * creation, the ops a transformer step uses and their gradients. Tagged bf16 (left out by default;
 * on DJL's own JNI library these calls would end the JVM) and skipped where {@link Bfloat16Support}
 * says no.
 */
@Tag("bf16")
class Bfloat16OpsTest {

    @BeforeEach
    void needsBfloat16() {
        assumeTrue(Bfloat16Support.available(), () -> "no bfloat16: " + Bfloat16Support.unavailableReason());
    }

    @Test
    void castsRoundTripAndCreationTakesTheType() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] values = {1f, -3.5f, 0x1p120f, 0x1p-120f, 1f + 0x1p-7f};
            NDArray half = manager.create(values).toType(DataType.BFLOAT16, false);
            assertEquals(DataType.BFLOAT16, half.getDataType());
            assertArrayEquals(values, half.toType(DataType.FLOAT32, false).toFloatArray());
            // 1 + 2^-9 is below bfloat16's resolution at 1 (8 bits of mantissa): it rounds to 1.
            assertEquals(1f, manager.create(new float[] {1f + 0x1p-9f}).toType(DataType.BFLOAT16, false)
                    .toType(DataType.FLOAT32, false).getFloat(0));
            assertEquals(DataType.BFLOAT16, manager.zeros(new Shape(2), DataType.BFLOAT16).getDataType());
            assertEquals(DataType.BFLOAT16, manager.create(new Shape(2), DataType.BFLOAT16).getDataType());
            NDArray scaled = Scalars.times(half, 2);
            assertEquals(DataType.BFLOAT16, scaled.getDataType());
            assertEquals(-7f, scaled.toType(DataType.FLOAT32, false).getFloat(1));
        }
    }

    /** The patched library throws for a type it does not map, where DJL's ends the JVM. */
    @Test
    void anUnmappedTypeIsAJavaException() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EngineException error = assertThrows(EngineException.class, () -> manager.zeros(new Shape(2), DataType.UINT16));
            assertTrue(error.getMessage().contains("unsupported DJL data type " + DataType.UINT16.ordinal()), error.getMessage());
        }
    }

    /** matmul, add, softmax and their backward in bfloat16 follow float32 to bfloat16's precision. */
    @Test
    void matmulAddSoftmaxAndBackwardFollowFloat32() {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(8, 16));
            NDArray w = manager.randomNormal(new Shape(16, 12)).div(4);
            NDArray b = manager.randomNormal(new Shape(12));
            float[][] full = forwardAndGradients(x, w, b, DataType.FLOAT32);
            float[][] half = forwardAndGradients(x, w, b, DataType.BFLOAT16);
            String[] parts = {"softmax(x w + b)", "gradient of x", "gradient of w", "gradient of b"};
            for (int part = 0; part < parts.length; part++) {
                assertClose(full[part], half[part], 0.03, parts[part]);
            }
        }
    }

    private static float[][] forwardAndGradients(NDArray x0, NDArray w0, NDArray b0, DataType type) {
        NDArray x = x0.toType(type, false);
        NDArray w = w0.toType(type, false);
        NDArray b = b0.toType(type, false);
        for (NDArray leaf : new NDArray[] {x, w, b}) {
            leaf.setRequiresGradient(true);
        }
        NDArray probabilities;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            probabilities = x.matMul(w).add(b).softmax(-1);
            assertEquals(type, probabilities.getDataType());
            NDArray target = probabilities.getManager().arange(12f).toType(type, false);
            collector.backward(probabilities.mul(target).sum());
        }
        float[][] out = new float[4][];
        out[0] = probabilities.toType(DataType.FLOAT32, false).toFloatArray();
        NDArray[] leaves = {x, w, b};
        for (int i = 0; i < 3; i++) {
            assertEquals(type, leaves[i].getGradient().getDataType());
            out[i + 1] = leaves[i].getGradient().toType(DataType.FLOAT32, false).toFloatArray();
        }
        return out;
    }

    @Test
    void narrowAndWidenKeepTheGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(3, 4));
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray half = Precision.narrow(Scalars.times(x, 2), DataType.BFLOAT16);
                assertEquals(DataType.BFLOAT16, half.getDataType());
                NDArray wide = Precision.widen(half.square());
                assertEquals(DataType.FLOAT32, wide.getDataType());
                collector.backward(wide.sum());
            }
            assertEquals(DataType.FLOAT32, x.getGradient().getDataType());
            // d/dx sum((2x)^2) = 8x, to bfloat16 precision
            assertClose(x.mul(8).toFloatArray(), x.getGradient().toFloatArray(), 0.02, "gradient through the casts");
            NDArray table = manager.arange(4f);
            NDArray like = manager.zeros(new Shape(1), DataType.BFLOAT16);
            assertEquals(DataType.BFLOAT16, TableCache.matching(table, like).getDataType());
        }
    }

    static void assertClose(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= relative * scale, what + ": largest difference bf16 vs fp32 " + worst + " at scale " + scale);
    }
}
