package dev.tlab.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, as {@code torch.optim.AdamW}:
 *
 * <pre>
 *   w <- w - lr * wd * w                          (decay group only)
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   w <- w - lr * m_hat / (sqrt(v_hat) + eps)
 * </pre>
 *
 * Matrices and embeddings (rank >= 2) decay; biases and norm gains (rank 1) do not. Moments are
 * ours, named like the parameters, so a checkpoint can save and restore them. The update runs as
 * one fused native call per parameter and clears the gradient for the next step.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final List<Slot> slots = new ArrayList<>();
    private long step;

    private record Slot(String name, Parameter parameter, boolean decays, NDArray mean, NDArray variance) {}

    public AdamW(Map<String, Parameter> parameters, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (var entry : parameters.entrySet()) {
            NDArray weight = entry.getValue().getArray();
            NDArray mean = weight.zerosLike();
            NDArray variance = weight.zerosLike();
            // Moments live as long as the model, whatever scope the optimizer is built in.
            NDScope.unregister(mean, variance);
            mean.setName(entry.getKey());
            variance.setName(entry.getKey());
            boolean decays = weight.getShape().dimension() >= 2;
            slots.add(new Slot(entry.getKey(), entry.getValue(), decays, mean, variance));
        }
    }

    /** Which parameters decay, for the start-up log. */
    public static boolean decays(Parameter parameter) {
        return parameter.getArray().getShape().dimension() >= 2;
    }

    /**
     * One update of every parameter that has a gradient.
     *
     * @param lr learning rate for this step
     * @param gradScale multiplies every gradient first (global-norm clipping's factor, or 1)
     */
    public void step(double lr, double gradScale) {
        step++;
        double bias1 = 1 - Math.pow(beta1, step);
        double bias2 = 1 - Math.pow(beta2, step);
        // The native kernel computes w -= lrc * m / (sqrt(v) + eps'); torch's form is
        // w -= lr/bias1 * m / (sqrt(v)/sqrt(bias2) + eps), equal for lrc and eps' below.
        float lrCorrected = (float) (lr * Math.sqrt(bias2) / bias1);
        float epsCorrected = (float) (eps * Math.sqrt(bias2));
        for (Slot slot : slots) {
            NDArray weight = slot.parameter.getArray();
            if (!weight.hasGradient()) {
                continue;
            }
            try (NDArray grad = weight.getGradient()) {
                weight.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(weight, grad, slot.mean, slot.variance),
                                new NDList(weight),
                                (float) lr,
                                lrCorrected,
                                slot.decays ? (float) weightDecay : 0f,
                                (float) gradScale,
                                -1f,
                                (float) beta1,
                                (float) beta2,
                                epsCorrected,
                                false,
                                true);
            }
        }
    }

    public long stepCount() {
        return step;
    }

    /**
     * Continues from saved state: the step count (for bias correction) and the moments of the
     * parameters named in {@code means} and {@code variances}, whose shapes must match. Parameters
     * not named keep zero moments.
     */
    public void restore(long steps, Map<String, float[]> means, Map<String, float[]> variances) {
        for (Slot slot : slots) {
            float[] mean = means.get(slot.name);
            float[] variance = variances.get(slot.name);
            if (mean != null && variance != null) {
                if (mean.length != slot.mean.size() || variance.length != slot.variance.size()) {
                    throw new IllegalArgumentException("moments of " + slot.name + " have " + mean.length
                            + " values, the parameter " + slot.mean.size());
                }
                slot.mean.set(mean);
                slot.variance.set(variance);
            }
        }
        this.step = steps;
    }

    /** First and second moments by parameter name. */
    public Map<String, NDArray> means() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        slots.forEach(s -> out.put(s.name, s.mean));
        return out;
    }

    public Map<String, NDArray> variances() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        slots.forEach(s -> out.put(s.name, s.variance));
        return out;
    }

    /** e.g. "decay: 18 tensors, 793,600 values; no decay: 34 tensors, 4,352 values". */
    public String describeGroups() {
        long[] counts = new long[4];
        for (Slot slot : slots) {
            int group = slot.decays ? 0 : 2;
            counts[group]++;
            counts[group + 1] += slot.parameter.getArray().size();
        }
        return String.format(
                "decay (rank >= 2): %d tensors, %,d values; no decay (biases, norm gains): %d tensors, %,d values",
                counts[0], counts[1], counts[2], counts[3]);
    }
}
