package dev.tlab.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** The update runs in float32; a float32 replay of the formula matches bit for bit. */
    private static final double FLOAT32_TOLERANCE = 2e-6;

    static Parameter parameter(NDManager manager, String name, float[] values, Shape shape) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(manager.create(values, shape)).build();
        p.getArray().setRequiresGradient(true);
        return p;
    }

    /** Gives each parameter the gradient {@code g} by back-propagating {@code sum(w * g)}. */
    static void setGradients(NDManager manager, List<Parameter> params, List<float[]> grads) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (int i = 0; i < params.size(); i++) {
                NDArray w = params.get(i).getArray();
                NDArray term = w.mul(manager.create(grads.get(i), w.getShape())).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    @Test
    void twoStepsMatchHandComputedTorchAdamW() {
        double lr = 0.1;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double wd = 0.5;
        float[] w0 = {1.0f, -2.0f, 0.5f, 3.0f};
        float[] b0 = {0.25f, -1.0f};
        float[][] gw = {{0.1f, -0.2f, 0.3f, 0.0f}, {-0.4f, 0.2f, 1.0f, 0.5f}};
        float[][] gb = {{1.0f, -3.0f}, {0.5f, 0.5f}};
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter matrix = parameter(manager, "w", w0, new Shape(2, 2));
            Parameter bias = parameter(manager, "b", b0, new Shape(2));
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("w", matrix);
            params.put("b", bias);
            AdamW adamw = new AdamW(params, b1, b2, eps, wd, AdamW.State.FRESH);
            for (int step = 0; step < 2; step++) {
                setGradients(manager, List.of(matrix, bias), List.of(gw[step], gb[step]));
                adamw.step(lr, 1.0);
            }
            double[] expectedW = reference(w0, gw, lr, b1, b2, eps, wd);
            double[] expectedB = reference(b0, gb, lr, b1, b2, eps, 0.0);
            float[] actualW = matrix.getArray().toFloatArray();
            float[] actualB = bias.getArray().toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertEquals(expectedW[i], actualW[i], FLOAT32_TOLERANCE, "w[" + i + "]");
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(expectedB[i], actualB[i], FLOAT32_TOLERANCE, "b[" + i + "] (no decay)");
            }
            // The bias must not have decayed: recomputing it with decay gives a different value.
            assertTrue(Math.abs(reference(b0, gb, lr, b1, b2, eps, wd)[1] - actualB[1]) > 1e-3);
            assertEquals(2, adamw.stepCount());
        }
    }

    @Test
    void gradientsAreClearedAfterTheStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter matrix = parameter(manager, "w", new float[] {1, 2, 3, 4}, new Shape(2, 2));
            AdamW adamw = new AdamW(Map.of("w", matrix), 0.9, 0.99, 1e-8, 0.0, AdamW.State.FRESH);
            setGradients(manager, List.of(matrix), List.of(new float[] {1, 1, 1, 1}));
            adamw.step(0.01, 1.0);
            assertEquals(0f, matrix.getArray().getGradient().abs().sum().getFloat());
        }
    }

    private static Map<String, Parameter> model(NDManager manager) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        params.put("a.weight", parameter(manager, "a.weight", new float[] {1, -2, 0.5f, 3, 0, 1}, new Shape(2, 3)));
        params.put("a.bias", parameter(manager, "a.bias", new float[] {0.25f, -1}, new Shape(2)));
        params.put("b.weight", parameter(manager, "b.weight", new float[] {2, 1, -1, 0.5f}, new Shape(4, 1)));
        params.put("norm.gain", parameter(manager, "norm.gain", new float[] {1, 1, 1}, new Shape(3)));
        return params;
    }

    private static List<float[]> gradients(int step) {
        return List.of(new float[] {0.1f * step, -0.2f, 0.3f, 0, 1, -1}, new float[] {1, -3f / step},
                new float[] {0.5f, 0.5f, -0.25f * step, 2}, new float[] {0.01f, -0.02f * step, 0.03f});
    }

    /**
     * The packed update (one native call per decay group over flat buffers) against the same native
     * kernel called per tensor, as torch's foreach-free AdamW does: equal bit for bit, and saved
     * moments given to the constructor are where the update starts.
     */
    @Test
    void packedUpdateEqualsThePerTensorUpdateBitForBit() {
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, Parameter> plain = model(manager);
            Map<String, Parameter> packed = model(manager);
            float[] mean = {0.5f, -0.25f};
            float[] variance = {0.125f, 2f};
            Map<String, NDArray> means = new LinkedHashMap<>();
            Map<String, NDArray> variances = new LinkedHashMap<>();
            plain.forEach((name, p) -> {
                means.put(name, p.getArray().zerosLike());
                variances.put(name, p.getArray().zerosLike());
            });
            means.get("a.bias").set(mean);
            variances.get("a.bias").set(variance);
            AdamW adamw = new AdamW(packed, b1, b2, eps, wd,
                    new AdamW.State(4, Map.of("a.bias", mean), Map.of("a.bias", variance)));
            for (int step = 1; step <= 3; step++) {
                setGradients(manager, List.copyOf(plain.values()), gradients(step));
                setGradients(manager, List.copyOf(packed.values()), gradients(step));
                double norm = referenceNorm(plain.values());
                assertEquals(norm, adamw.gradientNorm(), 1e-6 * norm);
                adamw.step(0.05, 0.5);
                long t = 4 + step;
                double bias1 = 1 - Math.pow(b1, t);
                double bias2 = 1 - Math.pow(b2, t);
                for (var entry : plain.entrySet()) {
                    NDArray weight = entry.getValue().getArray();
                    boolean decays = weight.getShape().dimension() >= 2;
                    weight.getNDArrayInternal().adamUpdate(
                            new NDList(weight, weight.getGradient(), means.get(entry.getKey()), variances.get(entry.getKey())),
                            new NDList(weight), 0.05f, (float) (0.05 * Math.sqrt(bias2) / bias1), decays ? (float) wd : 0f,
                            0.5f, -1f, (float) b1, (float) b2, (float) (eps * Math.sqrt(bias2)), false, true);
                }
            }
            for (String name : plain.keySet()) {
                NDArray packedWeight = packed.get(name).getArray();
                assertEquals(plain.get(name).getArray().getShape(), packedWeight.getShape(), name);
                assertArrayEquals(plain.get(name).getArray().toFloatArray(), packedWeight.toFloatArray(), name);
                assertArrayEquals(means.get(name).toFloatArray(), adamw.means().get(name).toFloatArray(), name);
                assertArrayEquals(variances.get(name).toFloatArray(), adamw.variances().get(name).toFloatArray(), name);
                assertEquals(0f, packedWeight.getGradient().abs().sum().getFloat(), name + " gradient cleared");
            }
            assertEquals(7, adamw.stepCount());
            // The first step moved every weight: the parameters really are views of the updated buffer.
            assertTrue(packed.get("norm.gain").getArray().sub(1).abs().sum().getFloat() > 1e-3);
        }
    }

    /** The joint L2 norm of the parameters' gradients, tensor by tensor. */
    static double referenceNorm(java.util.Collection<Parameter> parameters) {
        double sum = 0;
        for (Parameter parameter : parameters) {
            for (float g : parameter.getArray().getGradient().toFloatArray()) {
                sum += (double) g * g;
            }
        }
        return Math.sqrt(sum);
    }

    /** torch.optim.AdamW, written out in doubles. */
    static double[] reference(float[] start, float[][] grads, double lr, double b1, double b2, double eps, double wd) {
        double[] w = new double[start.length];
        double[] m = new double[start.length];
        double[] v = new double[start.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = start[i];
        }
        for (int t = 1; t <= grads.length; t++) {
            for (int i = 0; i < w.length; i++) {
                double g = grads[t - 1][i];
                w[i] -= lr * wd * w[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                w[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return w;
    }
}
