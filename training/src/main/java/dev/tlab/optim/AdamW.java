package dev.tlab.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import dev.tlab.djl.DjlInternals;
import dev.tlab.layers.ArrayCopy;
import dev.tlab.layers.Params;
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
 * ours, named like the parameters, so a checkpoint can save and restore them.
 *
 * <p>The constructor packs each decay group's parameters and moments into flat buffers and makes
 * every parameter and moment a view of its slice, so a step updates each group with one fused
 * native call instead of one per tensor (at the baby size about 700 small ops, a tenth of the
 * step). Build it after the weights are loaded (a checkpoint's moments come in as {@link State}),
 * and never write a parameter with {@code NDArray.set} after: that replaces the tensor's storage
 * and would cut the parameter loose from the buffer.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final List<Slot> slots = new ArrayList<>();
    private final List<Group> groups = new ArrayList<>();
    private long step;
    /** This step's gradients, one flat array per group, from {@link #gradientNorm()} until the update. */
    private NDArray[] flatGradients;
    /** Whether {@link #flatGradients} came from {@link #useGradients}: the parameters' own are then untouched. */
    private boolean gradientsGiven;

    private record Slot(String name, Parameter parameter, boolean decays, NDArray mean, NDArray variance) {}

    /** A decay group packed into flat buffers; its slots' parameters and moments are views of them. */
    private record Group(boolean decays, List<Slot> slots, NDArray weights, NDArray mean, NDArray variance) {}

    /**
     * Saved optimizer state: the step count (for bias correction) and moments by parameter name.
     * Parameters not named start at zero moments.
     */
    public record State(long steps, Map<String, float[]> means, Map<String, float[]> variances) {
        public static final State FRESH = new State(0, Map.of(), Map.of());
    }

    /** @param parameters the trainable parameters, by name, with their weights already loaded */
    public AdamW(Map<String, Parameter> parameters, double beta1, double beta2, double eps, double weightDecay,
            State saved) {
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
            boolean decays = decays(entry.getValue());
            slots.add(new Slot(entry.getKey(), entry.getValue(), decays, mean, variance));
        }
        restore(saved);
        pack();
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
        step(lr, gradScale, false);
    }

    /** The update-to-weight ratio's group names, in the order of {@link #step(double, double, boolean)}'s map. */
    public static final String DECAY = "decay";
    public static final String NO_DECAY = "no_decay";

    /**
     * One update, as {@link #step(double, double)}; with {@code measure}, also each group's
     * update-to-weight ratio ||w_after - w_before|| / ||w_before||, from a copy of the group's flat
     * weights taken before the update. The update itself is the same either way (the copy is only
     * read), so measuring on logged steps leaves training bit-identical; it costs one copy of the
     * weights and two host reads per group.
     *
     * @return group name ({@link #DECAY}, {@link #NO_DECAY}) to ratio; empty unless {@code measure}
     */
    public Map<String, Double> step(double lr, double gradScale, boolean measure) {
        step++;
        double bias1 = 1 - Math.pow(beta1, step);
        double bias2 = 1 - Math.pow(beta2, step);
        // The native kernel computes w -= lrc * m / (sqrt(v) + eps'); torch's form is
        // w -= lr/bias1 * m / (sqrt(v)/sqrt(bias2) + eps), equal for lrc and eps' below.
        float lrCorrected = (float) (lr * Math.sqrt(bias2) / bias1);
        float epsCorrected = (float) (eps * Math.sqrt(bias2));
        return stepPacked((float) lr, lrCorrected, epsCorrected, (float) gradScale, measure);
    }

    private Map<String, Double> stepPacked(float lr, float lrCorrected, float epsCorrected, float gradScale,
            boolean measure) {
        Map<String, Double> ratios = new LinkedHashMap<>();
        try (NDScope ignored = new NDScope()) {
            if (flatGradients == null) {
                flatGradients = gatherGradients();
            }
            NDArray[] gradients = flatGradients;
            for (int i = 0; i < groups.size(); i++) {
                Group group = groups.get(i);
                // The copy is taken from a detached view, outside autograd, and freed at once: a copy
                // still tied to the weights' graph changed later updates in a fresh JVM.
                NDArray before = measure ? detachedCopy(group.weights) : null;
                update(group.weights, gradients[i], group.mean, group.variance, group.decays, lr, lrCorrected,
                        epsCorrected, gradScale);
                if (measure) {
                    ratios.put(group.decays ? DECAY : NO_DECAY, updateRatio(group.weights, before));
                }
                if (!gradientsGiven) {
                    for (Slot slot : group.slots) {
                        DjlInternals.zeroGradient(slot.parameter.getArray());
                    }
                }
            }
        } finally {
            releaseGradients();
        }
        return ratios;
    }

    private static NDArray detachedCopy(NDArray weights) {
        try (NDArray detached = weights.stopGradient()) {
            NDArray copy = detached.duplicate();
            NDScope.unregister(copy);
            return copy;
        }
    }

    /** ||after - before|| / ||before||, reading only detached arrays; frees {@code before}. */
    private static double updateRatio(NDArray weights, NDArray before) {
        try (before; NDArray after = weights.stopGradient(); NDArray change = after.sub(before);
                NDArray changeNorm = change.norm(); NDArray beforeNorm = before.norm()) {
            return changeNorm.getFloat() / (double) beforeNorm.getFloat();
        }
    }

    /** One fused native AdamW update of {@code weight} in place. */
    private void update(NDArray weight, NDArray grad, NDArray mean, NDArray variance, boolean decays, float lr,
            float lrCorrected, float epsCorrected, float gradScale) {
        weight.getNDArrayInternal()
                .adamUpdate(
                        new NDList(weight, grad, mean, variance),
                        new NDList(weight),
                        lr,
                        lrCorrected,
                        decays ? (float) weightDecay : 0f,
                        gradScale,
                        -1f,
                        (float) beta1,
                        (float) beta2,
                        epsCorrected,
                        false,
                        true);
    }

    /**
     * The joint L2 norm of every trainable gradient; one host read. It is taken from the groups' flat
     * gradients (gathered now, or those given to {@link #useGradients}), which are kept for this
     * step's update.
     */
    public double gradientNorm() {
        if (flatGradients == null) {
            flatGradients = gatherGradients();
        }
        NDArray sumOfSquares = null;
        for (NDArray gradient : flatGradients) {
            NDArray squares = gradient.square().sum();
            sumOfSquares = sumOfSquares == null ? squares : sumOfSquares.add(squares);
        }
        return Math.sqrt(sumOfSquares.getFloat());
    }

    /** A decay group's flat float32 weights and, in order, the parameters that are views of it. */
    public record Packed(NDArray weights, List<Parameter> parameters) {}

    /** The groups, in the order of {@link #useGradients}'s arrays. */
    public List<Packed> packed() {
        return groups.stream().map(g -> new Packed(g.weights, g.slots.stream().map(Slot::parameter).toList())).toList();
    }

    /**
     * This step's gradients, one flat float32 array per group of {@link #packed()}, instead of the
     * parameters' own: how a half-precision step hands over its widened gradients in one piece per
     * group. Takes ownership; they are freed after the update or by {@link #discardGradients()}.
     */
    public void useGradients(NDArray[] flat) {
        releaseGradients();
        NDScope.unregister(flat);
        flatGradients = flat;
        gradientsGiven = true;
    }

    /** Drops this step's gradients without an update (a skipped step). */
    public void discardGradients() {
        releaseGradients();
    }

    /** Each group's gradients concatenated; the arrays outlive any scope until released. */
    private NDArray[] gatherGradients() {
        NDArray[] out = new NDArray[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            NDList parts = new NDList();
            for (Slot slot : groups.get(i).slots) {
                NDArray gradient = slot.parameter.getArray().getGradient();
                parts.add(gradient.reshape(-1));
                gradient.close();
            }
            out[i] = NDArrays.concat(parts);
            parts.close();
            NDScope.unregister(out[i]);
        }
        return out;
    }

    private void releaseGradients() {
        if (flatGradients != null) {
            for (NDArray gradient : flatGradients) {
                gradient.close();
            }
            flatGradients = null;
        }
        gradientsGiven = false;
    }

    /** Packs each decay group into flat buffers (see the class comment); values are kept. */
    private void pack() {
        if (slots.isEmpty()) {
            return;
        }
        for (boolean decays : new boolean[] {true, false}) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < slots.size(); i++) {
                if (slots.get(i).decays == decays) {
                    members.add(i);
                }
            }
            if (members.isEmpty()) {
                continue;
            }
            NDArray weights = flatten(members, s -> s.parameter.getArray());
            NDArray mean = flatten(members, Slot::mean);
            NDArray variance = flatten(members, Slot::variance);
            NDList weightViews = views(weights, members);
            NDList meanViews = views(mean, members);
            NDList varianceViews = views(variance, members);
            List<Slot> packed = new ArrayList<>();
            for (int j = 0; j < members.size(); j++) {
                Slot old = slots.get(members.get(j));
                NDArray previous = old.parameter.getArray();
                NDArray view = weightViews.get(j);
                view.setName(previous.getName());
                view.setRequiresGradient(true);
                DjlInternals.replaceArray(old.parameter, view);
                previous.close();
                meanViews.get(j).setName(old.name);
                varianceViews.get(j).setName(old.name);
                old.mean.close();
                old.variance.close();
                Slot slot = new Slot(old.name, old.parameter, decays, meanViews.get(j), varianceViews.get(j));
                slots.set(members.get(j), slot);
                packed.add(slot);
            }
            groups.add(new Group(decays, packed, weights, mean, variance));
        }
        Params.allocateGradients(slots.stream().map(Slot::parameter).toList());
    }

    private NDArray flatten(List<Integer> members, java.util.function.Function<Slot, NDArray> array) {
        NDList parts = new NDList();
        for (int i : members) {
            parts.add(array.apply(slots.get(i)).reshape(-1));
        }
        NDArray flat = NDArrays.concat(parts);
        parts.close();
        NDScope.unregister(flat);
        return flat;
    }

    /** Views of {@code flat}'s consecutive slices in the members' shapes. */
    private NDList views(NDArray flat, List<Integer> members) {
        long[] cuts = new long[members.size() - 1];
        long offset = 0;
        for (int j = 0; j < cuts.length; j++) {
            offset += slots.get(members.get(j)).mean.size();
            cuts[j] = offset;
        }
        NDList pieces = cuts.length == 0 ? new NDList(flat.reshape(-1)) : flat.split(cuts);
        NDList out = new NDList();
        for (int j = 0; j < members.size(); j++) {
            NDArray view = pieces.get(j).reshape(slots.get(members.get(j)).mean.getShape());
            NDScope.unregister(view);
            out.add(view);
        }
        pieces.close();
        return out;
    }

    public long stepCount() {
        return step;
    }

    /** Writes saved moments into the fresh, still unpacked moment arrays. */
    private void restore(State saved) {
        for (Slot slot : slots) {
            float[] mean = saved.means().get(slot.name);
            float[] variance = saved.variances().get(slot.name);
            if (mean != null && variance != null) {
                if (mean.length != slot.mean.size() || variance.length != slot.variance.size()) {
                    throw new IllegalArgumentException("moments of " + slot.name + " have " + mean.length
                            + " values, the parameter " + slot.mean.size());
                }
                ArrayCopy.into(slot.mean, mean);
                ArrayCopy.into(slot.variance, variance);
            }
        }
        this.step = saved.steps();
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
    public static String describeGroups(Map<String, Parameter> parameters) {
        long[] counts = new long[4];
        for (Parameter parameter : parameters.values()) {
            int group = decays(parameter) ? 0 : 2;
            counts[group]++;
            counts[group + 1] += parameter.getArray().size();
        }
        return String.format(
                "decay (rank >= 2): %d tensors, %,d values; no decay (biases, norm gains): %d tensors, %,d values",
                counts[0], counts[1], counts[2], counts[3]);
    }
}
