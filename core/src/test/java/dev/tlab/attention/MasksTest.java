package dev.tlab.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tlab.layers.Bfloat16Support;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MasksTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void paddingStaysFiniteInHalfPrecision(int times) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mask = Masks.padding(manager.create(new long[] {1, 1, 0, 0}, new Shape(1, 4)));
            assertEquals(new Shape(1, 1, 1, 4), mask.getShape());
            NDArray half = mask.toType(DataType.FLOAT16, false);
            // Two masks added, as when a causal stack also masks padding, must stay finite as well.
            NDArray sum = times == 1 ? half : half.add(half);
            float[] values = sum.toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(new float[] {0, 0, times * Masks.BLOCKED, times * Masks.BLOCKED}, values, 0f);
            for (float value : values) {
                assertTrue(Float.isFinite(value), "mask value " + value + " in float16");
            }
        }
    }

    /** The same in bfloat16, on a JNI library that maps it (see dev.tlab.layers.Bfloat16OpsTest). */
    @Tag("bf16")
    @ParameterizedTest
    @EnumSource(value = AttentionKernel.class, names = {"MATH", "SDPA"})
    void paddingMasksAttentionInBfloat16(AttentionKernel kernel) {
        assumeTrue(Bfloat16Support.available(), () -> "no bfloat16: " + Bfloat16Support.unavailableReason());
        maskedKeysGetNoWeightAndAFullyMaskedRowGetsUniformWeights(DataType.BFLOAT16, kernel);
    }

    @ParameterizedTest
    @CsvSource({"FLOAT32, MATH", "FLOAT16, MATH", "FLOAT32, SDPA", "FLOAT16, SDPA"})
    void maskedKeysGetNoWeightAndAFullyMaskedRowGetsUniformWeights(DataType type, AttentionKernel kernel) {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            // Values are the identity, so each output row is that query's attention weights.
            NDArray values = manager.eye(4).reshape(1, 1, 4, 4).toType(type, false);
            NDArray queries = manager.randomNormal(new Shape(1, 1, 2, 4)).toType(type, false);
            NDArray keys = manager.randomNormal(new Shape(1, 1, 4, 4)).toType(type, false);
            NDArray someMasked = Masks.padding(manager.create(new long[] {1, 1, 0, 0}, new Shape(1, 4)));
            float[] weights = Attention.mix(kernel, queries, keys, values, null, null, someMasked, 0.0, false)
                    .toType(DataType.FLOAT32, false).toFloatArray();
            for (int row = 0; row < 2; row++) {
                assertEquals(0f, weights[row * 4 + 2], "masked key 2, query " + row);
                assertEquals(0f, weights[row * 4 + 3], "masked key 3, query " + row);
                // Each weight is rounded to the type: bfloat16 keeps 8 bits of mantissa.
                assertEquals(1.0, weights[row * 4] + weights[row * 4 + 1], type == DataType.BFLOAT16 ? 1e-2 : 1e-3, "query " + row);
            }

            // Equal scores under a mask over every key: uniform weights, where an infinite mask gives NaN.
            NDArray allMasked = Masks.padding(manager.create(new long[] {0, 0, 0, 0}, new Shape(1, 4)));
            NDArray equalKeys = manager.zeros(new Shape(1, 1, 4, 4), type);
            float[] uniform = Attention.mix(kernel, queries, equalKeys, values, null, null, allMasked, 0.0, false)
                    .toType(DataType.FLOAT32, false).toFloatArray();
            for (float weight : uniform) {
                assertEquals(0.25f, weight);
            }
        }
    }
}
