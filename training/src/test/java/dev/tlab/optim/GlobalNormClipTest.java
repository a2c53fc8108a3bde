package dev.tlab.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlobalNormClipTest {

    @Test
    void largeNegativeGradientIsScaledNotClamped() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter a = AdamWTest.parameter(manager, "a", new float[] {0, 0}, new Shape(2));
            Parameter b = AdamWTest.parameter(manager, "b", new float[] {0}, new Shape(1));
            AdamW adamw = new AdamW(Map.of("a", a, "b", b), 0.9, 0.99, 1e-8, 0.0, AdamW.State.FRESH);
            AdamWTest.setGradients(manager, List.of(a, b), List.of(new float[] {-100, 1}, new float[] {2}));
            double norm = adamw.gradientNorm();
            assertEquals(Math.sqrt(10000 + 1 + 4), norm, 1e-3);
            double factor = GlobalNormClip.factor(norm, 1.0);
            assertEquals(1.0 / norm, factor, 1e-6);

            // The optimizer sees factor * g: the first moment after one step is (1 - b1) * factor * g.
            adamw.step(0.1, factor);
            float[] m = adamw.means().get("a").toFloatArray();
            assertEquals(0.1 * -100 * factor, m[0], 1e-6, "the large negative component keeps its share");
            assertEquals(0.1 * 1 * factor, m[1], 1e-6, "the small component shrinks by the same factor");
            // A per-element clamp to [-1, 1] would leave the small component at 0.1 * 1.
        }
    }

    @Test
    void withinBoundOrOffMeansNoScaling() {
        assertEquals(1.0, GlobalNormClip.factor(0.5, 1.0));
        assertEquals(1.0, GlobalNormClip.factor(1e9, 0.0));
    }
}
