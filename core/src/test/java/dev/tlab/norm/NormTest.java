package dev.tlab.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.models.Models;
import dev.tlab.models.TransformerBlock;
import dev.tlab.positional.PositionalKind;
import dev.tlab.positional.PositionalScheme;
import org.junit.jupiter.api.Test;

class NormTest {

    @Test
    void postLnBlockOutputIsNormalizedPerPosition() {
        Engine.getInstance().setRandomSeed(11);
        var config = Models.tiny(NormPlacement.POST, NormType.LAYERNORM, PositionalKind.LEARNED, true, true);
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerBlock block = new TransformerBlock(config, true, false, PositionalScheme.NONE);
            block.initialize(manager, DataType.FLOAT32, new Shape(2, 5, 8));
            NDArray x = manager.randomNormal(0, 3, new Shape(2, 5, 8), DataType.FLOAT32).add(4);
            float[] out = block.forward(new ParameterStore(manager, false), x, false).toFloatArray();
            for (int row = 0; row < 10; row++) {
                double mean = 0;
                double square = 0;
                for (int i = 0; i < 8; i++) {
                    mean += out[row * 8 + i] / 8.0;
                }
                for (int i = 0; i < 8; i++) {
                    square += Math.pow(out[row * 8 + i] - mean, 2) / 8.0;
                }
                assertEquals(0, mean, 1e-5, "row " + row + " mean");
                assertEquals(1, square, 1e-3, "row " + row + " variance");
            }
        }
    }

    @Test
    void preLnBlockKeepsTheResidualStream() {
        // x + f(norm(x)) + ...: the branches see x only through a norm, so adding a constant c_t to
        // every feature of position t leaves them unchanged and moves the output by exactly c_t. A
        // block that drops the residual, normalizes it (post-LN) or returns its input fails one of these.
        Engine.getInstance().setRandomSeed(11);
        var config = Models.tiny(NormPlacement.PRE, NormType.LAYERNORM, PositionalKind.LEARNED, true, true);
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerBlock block = new TransformerBlock(config, true, false, PositionalScheme.NONE);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 8));
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.randomNormal(0, 3, new Shape(1, 3, 8), DataType.FLOAT32).add(4);
            NDArray shift = manager.create(new float[] {-5, 2, 7}, new Shape(1, 3, 1));
            NDArray out = block.forward(ps, x, false);
            NDArray shifted = block.forward(ps, x.add(shift), false);
            float branch = out.sub(x).abs().max().getFloat();
            assertTrue(branch > 1e-3 && branch < 0.2, "the branches add a small, nonzero update: " + branch);
            assertEquals(0, shifted.sub(out).sub(shift).abs().max().getFloat(), 1e-5,
                    "a per-position shift of the input passes straight through");
        }
    }

    @Test
    void rmsNormMatchesFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Norm norm = new Norm(NormType.RMSNORM, 4, true, 1e-5);
            norm.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            norm.getParameters().get("weight").getArray().set(new float[] {1, 2, 3, 4});
            float[] x = {1, -2, 3, 6};
            float[] out = norm.forward(new ParameterStore(manager, false), manager.create(x, new Shape(1, 4))).toFloatArray();
            double rms = Math.sqrt((1 + 4 + 9 + 36) / 4.0 + 1e-5);
            for (int i = 0; i < 4; i++) {
                assertEquals(x[i] / rms * (i + 1), out[i], 1e-5);
            }
            assertEquals(1, norm.getParameters().size(), "RMSNorm has a gain and no shift");
        }
    }

    @Test
    void layerNormMatchesFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Norm norm = new Norm(NormType.LAYERNORM, 4, true, 1e-5);
            norm.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            norm.getParameters().get("bias").getArray().set(new float[] {0, 0, 0, 1});
            float[] x = {1, 2, 3, 6};
            float[] out = norm.forward(new ParameterStore(manager, false), manager.create(x, new Shape(1, 4))).toFloatArray();
            double mean = 3;
            double std = Math.sqrt((4 + 1 + 0 + 9) / 4.0 + 1e-5);
            for (int i = 0; i < 4; i++) {
                assertEquals((x[i] - mean) / std + (i == 3 ? 1 : 0), out[i], 1e-5);
            }
        }
    }
}
