package dev.tlab.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Dense;
import dev.tlab.layers.Dropout;
import dev.tlab.layers.Scalars;
import java.util.List;

/**
 * The LoRA update of one {@link Dense}: for each targeted part (a slice of a fused projection's
 * output, or all of it) {@code (alpha / rank) B A drop(x)} is added to that slice; the other slices
 * get nothing. One dropout mask serves every part of the projection.
 */
public final class LoraAdapter implements Dense.Adapter {

    /** One targeted slice and its two factors. */
    public record Factors(Dense.Part part, Parameter a, Parameter b) {}

    private final Dense dense;
    private final List<Factors> factors;
    private final double scale;
    private final double dropout;

    LoraAdapter(Dense dense, List<Factors> factors, double scale, double dropout) {
        this.dense = dense;
        this.factors = List.copyOf(factors);
        this.scale = scale;
        this.dropout = dropout;
    }

    @Override
    public NDArray apply(ParameterStore ps, NDArray x, NDArray y, boolean training) {
        NDArray in = Dropout.apply(x, dropout, training);
        NDList pieces = new NDList();
        long covered = 0;
        for (Factors f : factors) {
            if (f.part().offset() > covered) {
                pieces.add(zeros(y, f.part().offset() - covered));
            }
            NDArray a = ps.getValue(f.a(), x.getDevice(), training);
            NDArray b = ps.getValue(f.b(), x.getDevice(), training);
            // Scaling the rank-wide middle is cheaper than scaling the output.
            NDArray low = Scalars.times(in.getNDArrayInternal().linear(in, a, null).singletonOrThrow(), scale);
            pieces.add(low.getNDArrayInternal().linear(low, b, null).singletonOrThrow());
            covered = f.part().offset() + f.part().size();
        }
        if (covered < dense.outFeatures()) {
            pieces.add(zeros(y, dense.outFeatures() - covered));
        }
        return y.add(pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(pieces, -1));
    }

    private static NDArray zeros(NDArray like, long width) {
        Shape shape = like.getShape();
        return like.getManager().zeros(shape.slice(0, shape.dimension() - 1).add(width), like.getDataType(), like.getDevice());
    }

    /**
     * {@code (alpha / rank) B A} for each part, placed in the rows of its slice: {@code [out, in]}
     * float32 in {@code manager}, to add to the projection's weight.
     */
    public NDArray delta(NDManager manager) {
        NDList rows = new NDList();
        long covered = 0;
        for (Factors f : factors) {
            if (f.part().offset() > covered) {
                rows.add(manager.zeros(new Shape(f.part().offset() - covered, dense.inFeatures())));
            }
            NDArray a = f.a().getArray().toType(DataType.FLOAT32, false);
            NDArray b = f.b().getArray().toType(DataType.FLOAT32, false);
            rows.add(Scalars.times(b.matMul(a), scale).toDevice(manager.getDevice(), false));
            covered = f.part().offset() + f.part().size();
        }
        if (covered < dense.outFeatures()) {
            rows.add(manager.zeros(new Shape(dense.outFeatures() - covered, dense.inFeatures())));
        }
        NDArray delta = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0);
        delta.attach(manager);
        return delta;
    }

    public Dense dense() {
        return dense;
    }

    public List<Factors> factors() {
        return factors;
    }
}
