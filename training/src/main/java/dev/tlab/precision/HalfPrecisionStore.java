package dev.tlab.precision;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.tlab.optim.AdamW;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mixed precision with fp32 master weights (Micikevicius et al., 2018). Blocks ask the store for
 * their weights; this store hands out float16 or bfloat16 copies of the fp32 masters, made once per
 * step, so the whole forward and backward run in that type.
 *
 * <p>The masters are the optimizer's flat buffers, one per decay group ({@link AdamW#packed()}). Each
 * step casts each buffer once, marks the copy as a leaf that records its gradient, and splits it into
 * per-parameter views: backward then gathers every parameter's gradient into that one flat half-precision
 * gradient (split's backward is one concatenation), which is widened once per group and handed to
 * the optimizer as is. Per step that is a handful of ops per group instead of several per tensor.
 * Parameters outside the groups (frozen ones) get a plain copy that records no gradient.
 *
 * <p>DJL's {@code toType} records no gradient, so the copies are leaves and the gradient is carried
 * over by hand rather than through a cast in the graph. Make and drop the copies inside a step's
 * scope: {@link #endStep()} forgets them, and the scope frees them.
 */
public final class HalfPrecisionStore extends ParameterStore {

    private final List<AdamW.Packed> groups;
    private final Map<Parameter, NDArray> halves = new HashMap<>();
    /** This step's flat half copies, one per group, whose gradients backward fills. */
    private final List<NDArray> flatHalves = new ArrayList<>();
    private final DataType type;

    /** Float16 copies of {@code groups}, the optimizer's packed masters ({@link AdamW#packed()}). */
    public HalfPrecisionStore(NDManager manager, List<AdamW.Packed> groups) {
        this(manager, groups, DataType.FLOAT16);
    }

    /**
     * @param groups the optimizer's packed masters ({@link AdamW#packed()})
     * @param type the copies' type: FLOAT16, or BFLOAT16 where {@link
     *     dev.tlab.layers.Bfloat16Support} says the JNI library can hold it
     */
    public HalfPrecisionStore(NDManager manager, List<AdamW.Packed> groups, DataType type) {
        super(manager, false);
        if (type != DataType.FLOAT16 && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException("half copies are FLOAT16 or BFLOAT16, not " + type);
        }
        this.groups = groups;
        this.type = type;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        // A copy freed by the scope it was made in is stale: make new ones from the masters.
        // With no group (nothing trainable) only the per-parameter copies below are made.
        if (!groups.isEmpty() && (flatHalves.isEmpty() || flatHalves.get(0).isReleased())) {
            copyMasters();
        }
        NDArray half = halves.get(parameter);
        if (half == null || half.isReleased()) {
            half = super.getValue(parameter, device, training).toType(type, false);
            halves.put(parameter, half);
        }
        return half;
    }

    private void copyMasters() {
        halves.clear();
        flatHalves.clear();
        for (AdamW.Packed group : groups) {
            NDArray flat = group.weights().toType(type, false);
            flat.setRequiresGradient(true);
            flatHalves.add(flat);
            List<Parameter> members = group.parameters();
            long[] cuts = new long[members.size() - 1];
            long offset = 0;
            for (int i = 0; i < cuts.length; i++) {
                offset += members.get(i).getArray().size();
                cuts[i] = offset;
            }
            NDList pieces = cuts.length == 0 ? new NDList(flat) : flat.split(cuts);
            for (int i = 0; i < members.size(); i++) {
                halves.put(members.get(i), pieces.get(i).reshape(members.get(i).getArray().getShape()));
            }
        }
    }

    /**
     * This step's gradients, widened to float32, one flat array per group in the optimizer's order,
     * still multiplied by the loss scale; the caller owns them. Zeros for a group no forward used.
     */
    public NDArray[] gradients() {
        NDArray[] out = new NDArray[groups.size()];
        for (int i = 0; i < out.length; i++) {
            NDArray flat = i < flatHalves.size() ? flatHalves.get(i) : null;
            out[i] = flat == null || flat.isReleased()
                    ? groups.get(i).weights().zerosLike()
                    : flat.getGradient().toType(DataType.FLOAT32, false);
        }
        return out;
    }

    /** Forgets this step's copies, so the next step copies the updated masters. */
    public void endStep() {
        halves.clear();
        flatHalves.clear();
    }
}
