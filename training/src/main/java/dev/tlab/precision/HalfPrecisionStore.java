package dev.tlab.precision;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Params;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * fp16 mixed precision with fp32 master weights (Micikevicius et al., 2018). Blocks ask the store for
 * their weights; this store hands out a float16 copy of each fp32 master, made once per step and
 * recording its own gradient, so the whole forward and backward run in float16. After backward the
 * float16 gradients are checked for overflow and added into the masters' float32 gradients, where the
 * optimizer finds them.
 *
 * <p>DJL's {@code toType} records no gradient, so the copies are leaves and the gradient is carried
 * over by hand rather than through a cast in the graph. Make and drop the copies inside a step's
 * scope: {@link #endStep()} forgets them, and the scope frees them.
 */
public final class HalfPrecisionStore extends ParameterStore {

    private final Map<Parameter, NDArray> halves = new LinkedHashMap<>();

    /**
     * @param manager the model's manager
     * @param masters every trainable parameter; each gets a float32 gradient to receive into
     */
    public HalfPrecisionStore(NDManager manager, Collection<Parameter> masters) {
        super(manager, false);
        // The masters never take part in the float16 graph, so nothing else would give them one.
        Params.allocateGradients(masters);
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        NDArray half = halves.get(parameter);
        // A copy freed by the scope it was made in is stale: make a new one from the master.
        if (half == null || half.isReleased()) {
            NDArray master = super.getValue(parameter, device, training);
            half = master.toType(DataType.FLOAT16, false);
            // A frozen master (no gradient) gets a copy that records none either.
            if (master.hasGradient()) {
                half.setRequiresGradient(true);
            }
            halves.put(parameter, half);
        }
        return half;
    }

    /**
     * The L2 norm of every half-precision gradient, summed in float32; one host read. Not finite
     * when the scaled loss overflowed float16 somewhere in backward.
     */
    public double gradientNorm() {
        NDArray sumOfSquares = null;
        for (NDArray half : halves.values()) {
            if (!half.hasGradient()) {
                continue;
            }
            NDArray squares = half.getGradient().toType(DataType.FLOAT32, false).square().sum();
            sumOfSquares = sumOfSquares == null ? squares : sumOfSquares.add(squares);
        }
        return sumOfSquares == null ? 0 : Math.sqrt(sumOfSquares.getFloat());
    }

    /** Adds each float16 gradient, widened, into its master's float32 gradient. */
    public void addGradientsToMasters() {
        for (var entry : halves.entrySet()) {
            NDArray master = entry.getKey().getArray();
            if (!master.hasGradient()) {
                continue;
            }
            try (NDArray masterGrad = master.getGradient()) {
                masterGrad.addi(entry.getValue().getGradient().toType(DataType.FLOAT32, false));
            }
        }
    }

    /** Forgets this step's copies, so the next step copies the updated masters. */
    public void endStep() {
        halves.clear();
    }
}
