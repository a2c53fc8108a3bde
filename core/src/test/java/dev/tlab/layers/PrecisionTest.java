package dev.tlab.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class PrecisionTest {

    @Test
    void widenAndNarrowKeepTheGradient() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(3, 4));
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray half = Precision.narrow(x.mul(2), DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, half.getDataType());
                NDArray wide = Precision.widen(half.square());
                assertEquals(DataType.FLOAT32, wide.getDataType());
                collector.backward(wide.sum());
            }
            // d/dx sum((2x)^2) = 8x, to float16 precision
            float error = x.getGradient().sub(x.mul(8)).abs().max().getFloat();
            assertTrue(error < 0.05, "gradient error through the casts: " + error);
        }
    }

    @Test
    void castsAreTheIdentityInFloat32() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(2));
            assertSame(x, Precision.widen(x));
            assertSame(x, Precision.narrow(x, DataType.FLOAT32));
        }
    }
}
