package dev.tlab.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.AttentionKernel;
import dev.tlab.attention.KvCache;
import dev.tlab.kernels.TorchKernels;
import dev.tlab.positional.PositionalKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code model.attention: sdpa} (libtorch's fused kernel through kernels.pt) against {@code math}
 * (separate ops): same weights and tokens give the same outputs and the same gradient for every
 * parameter, over every positional scheme, mask and cache path.
 */
class FusedAttentionTest {

    private static ModelConfig config(PositionalKind positional, AttentionKernel kernel) {
        return Models.tinyBuilder().positional(positional).relativeBuckets(8).relativeMaxDistance(16)
                .attention(kernel).build();
    }

    @Test
    void kernelsLoadOnTheDefaultLibtorch() {
        assertNull(TorchKernels.unavailableReason());
        assertTrue(TorchKernels.available());
    }

    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void decoderOutputsAndGradientsMatchMath(PositionalKind positional) {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM math = DecoderLM.create(config(positional, AttentionKernel.MATH), manager);
            DecoderLM sdpa = DecoderLM.create(config(positional, AttentionKernel.SDPA), manager);
            copyWeights(math, sdpa);
            NDArray tokens = manager.create(new long[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}, new Shape(2, 6));
            assertSame(math, sdpa, manager, (model, ps) -> ((DecoderLM) model).forward(ps, tokens, true), positional + " decoder");
        }
    }

    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void encoderDecoderWithPaddingMatchesMath(PositionalKind positional) {
        try (NDManager manager = NDManager.newBaseManager()) {
            EncoderDecoder math = EncoderDecoder.create(config(positional, AttentionKernel.MATH), manager);
            EncoderDecoder sdpa = EncoderDecoder.create(config(positional, AttentionKernel.SDPA), manager);
            copyWeights(math, sdpa);
            // Padding in both the source (encoder self-attention, cross-attention) and the target.
            NDArray source = manager.create(new long[] {5, 6, 7, 0, 0, 2, 3, 4, 9, 1}, new Shape(2, 5));
            NDArray sourceValid = manager.create(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, new Shape(2, 5));
            NDArray target = manager.create(new long[] {1, 8, 9, 0, 1, 2, 3, 4}, new Shape(2, 4));
            NDArray targetValid = manager.create(new long[] {1, 1, 1, 0, 1, 1, 1, 1}, new Shape(2, 4));
            assertSame(math, sdpa, manager,
                    (model, ps) -> ((EncoderDecoder) model).forward(ps, source, sourceValid, target, targetValid, true),
                    positional + " encoder-decoder");
        }
    }

    /** Prefill (is_causal), a chunk after a prefix (a sliced causal mask) and single tokens (no mask). */
    @ParameterizedTest
    @EnumSource(PositionalKind.class)
    void cachedDecodingMatchesTheFullSequence(PositionalKind positional) {
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM math = DecoderLM.create(config(positional, AttentionKernel.MATH), manager);
            DecoderLM sdpa = DecoderLM.create(config(positional, AttentionKernel.SDPA), manager);
            copyWeights(math, sdpa);
            ParameterStore ps = new ParameterStore(manager, false);
            long[] ids = {3, 1, 4, 1, 5, 9};
            NDArray full = math.forward(ps, manager.create(ids, new Shape(1, 6)), false);
            try (KvCache cache = new KvCache(manager)) {
                int[][] chunks = {{0, 2}, {2, 4}, {4, 5}, {5, 6}};
                for (int[] chunk : chunks) {
                    long[] part = java.util.Arrays.copyOfRange(ids, chunk[0], chunk[1]);
                    NDArray step = sdpa.forward(ps, manager.create(part, new Shape(1, part.length)), cache, false);
                    NDArray expected = full.get(new NDIndex(":, {}:{}", chunk[0], chunk[1]));
                    assertClose(expected.toFloatArray(), step.toFloatArray(), 1e-5, positional + " tokens " + chunk[0] + "-" + chunk[1]);
                }
            }
        }
    }

    @Test
    void dropoutIsAppliedInTrainingOnlyAndFollowsTheSeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelConfig withDropout = Models.tinyBuilder().dropout(0.5).attention(AttentionKernel.SDPA).build();
            DecoderLM model = DecoderLM.create(withDropout, manager);
            DecoderLM math = DecoderLM.create(withDropout.toBuilder().attention(AttentionKernel.MATH).build(), manager);
            copyWeights(model, math);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray tokens = manager.create(new long[] {3, 1, 4, 1, 5, 9}, new Shape(1, 6));
            float[] eval = model.forward(ps, tokens, false).toFloatArray();
            assertClose(math.forward(ps, tokens, false).toFloatArray(), eval, 1e-5, "no dropout outside training");
            Engine.getInstance().setRandomSeed(5);
            float[] first = model.forward(ps, tokens, true).toFloatArray();
            Engine.getInstance().setRandomSeed(5);
            float[] again = model.forward(ps, tokens, true).toFloatArray();
            assertArrayEquals(first, again, "the same seed drops the same weights");
            assertTrue(maxDifference(first, eval) > 1e-3, "dropout changes training outputs");
        }
    }

    @Test
    void autoFusesOnGpusOnlyAndSdpaFallsBackWhenTheKernelsAreMissing() {
        assertFalse(AttentionKernel.AUTO.fused(false, null), "auto on the CPU is math");
        assertTrue(AttentionKernel.AUTO.fused(true, null), "auto on a GPU is sdpa");
        assertTrue(AttentionKernel.SDPA.fused(false, null), "sdpa is asked for explicitly");
        assertFalse(AttentionKernel.SDPA.fused(true, "kernels.pt did not load"), "no module: math");
        assertFalse(AttentionKernel.AUTO.fused(true, "kernels.pt did not load"), "no module: math");
        assertFalse(AttentionKernel.MATH.fused(true, null), "math stays math");
    }

    @Test
    void attentionIsNotPartOfTheArchitecture() {
        ModelConfig a = config(PositionalKind.LEARNED, AttentionKernel.MATH);
        ModelConfig b = config(PositionalKind.LEARNED, AttentionKernel.SDPA);
        assertEquals(a.parameterCount(), b.parameterCount());
    }

    /** Runs both models forward and backward on a fixed weighting of their outputs; compares all of it. */
    private static void assertSame(TokenModel math, TokenModel sdpa, NDManager manager,
            BiFunction<TokenModel, ParameterStore, NDArray> forward, String what) {
        float[][] expected = outputAndGradients(math, manager, forward);
        float[][] actual = outputAndGradients(sdpa, manager, forward);
        assertClose(expected[0], actual[0], 1e-5, what + " outputs");
        for (int i = 1; i < expected.length; i++) {
            assertClose(expected[i], actual[i], 2e-5, what + " gradient " + i);
        }
    }

    private static float[][] outputAndGradients(TokenModel model, NDManager manager,
            BiFunction<TokenModel, ParameterStore, NDArray> forward) {
        List<float[]> out = new ArrayList<>();
        try (NDManager step = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(step, false);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray output = forward.apply(model, ps);
                Engine.getInstance().setRandomSeed(17);
                NDArray weighting = step.randomNormal(output.getShape());
                collector.backward(output.mul(weighting).sum());
                out.add(output.toFloatArray());
            }
            for (Parameter p : model.namedParameters().values()) {
                out.add(p.getArray().getGradient().toFloatArray());
            }
        }
        return out.toArray(new float[0][]);
    }

    private static void copyWeights(TokenModel from, TokenModel to) {
        Map<String, Parameter> target = to.namedParameters();
        from.namedParameters().forEach((name, p) -> target.get(name).getArray().set(p.getArray().toByteBuffer()));
    }

    /** Within {@code tolerance} of the largest expected magnitude (at least 1). */
    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 1;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = maxDifference(expected, actual);
        assertTrue(worst <= tolerance * scale, what + " differ by " + worst + " (scale " + scale + ")");
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
