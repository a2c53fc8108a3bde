package dev.tlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class TorchKernelsTest {

    /** A training step's scope closes what was made in it; the module's own constants must outlive it. */
    @Test
    void constantsMadeInsideAStepScopeOutliveIt() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray q = manager.arange(16f).reshape(1, 1, 4, 4).div(16);
            float[] first;
            TorchKernels.dropConstants();
            try (NDScope ignored = new NDScope()) {
                first = TorchKernels.call("causal", q, q, q, TorchKernels.number(0.0)).toFloatArray();
            }
            float[] second = TorchKernels.call("causal", q, q, q, TorchKernels.number(0.0)).toFloatArray();
            assertArrayEquals(first, second);
            // The first row attends only to itself.
            assertArrayEquals(new float[] {0, 1 / 16f, 2 / 16f, 3 / 16f}, java.util.Arrays.copyOf(second, 4), 1e-6f);
        }
    }

    @Test
    void castLikeKeepsShapeAndTakesTheOthersType() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {1.5f, -2f}, new Shape(2));
            NDArray half = manager.zeros(new Shape(1), DataType.FLOAT16);
            NDArray cast = TorchKernels.call("cast_like", x, half);
            assertEquals(DataType.FLOAT16, cast.getDataType());
            assertArrayEquals(new float[] {1.5f, -2f}, cast.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }
}
