package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.ArrayCopy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Copies a checkpoint's tensors into a model's parameters, remapping vocabulary rows when asked. */
public final class WeightLoader {

    private WeightLoader() {}

    /**
     * Copies saved weights into the parameters, checking that names and shapes match exactly.
     *
     * @param rows maps vocabulary rows of the token table and head onto a new vocabulary
     * @param positions cuts learned position tables to a shorter context
     */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager,
            VocabularyRows rows, PositionRows positions) {
        loadWeights(TensorSource.of(SafeTensors.map(checkpoint.resolve(CheckpointDirectory.MODEL_FILE))), parameters,
                manager, rows, positions);
    }

    /** {@link #loadWeights(TensorSource, Map, NDManager, VocabularyRows, PositionRows)} at the same context. */
    public static void loadWeights(TensorSource source, Map<String, Parameter> parameters, NDManager manager,
            VocabularyRows rows) {
        loadWeights(source, parameters, manager, rows, PositionRows.SAME);
    }

    /**
     * Copies {@code source}'s tensors into the parameters one at a time (each read, copied and
     * freed before the next, so loading needs the model's memory plus one tensor), after checking
     * every name and shape first: all problems are reported together and nothing is half loaded.
     */
    public static void loadWeights(TensorSource source, Map<String, Parameter> parameters, NDManager manager,
            VocabularyRows rows, PositionRows positions) {
        Map<String, Shape> saved = new LinkedHashMap<>(source.shapes());
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (var entry : parameters.entrySet()) {
            Shape shape = saved.remove(entry.getKey());
            Shape target = entry.getValue().getArray().getShape();
            if (shape == null) {
                missing.add(entry.getKey());
            } else if (!shape.equals(target) && !rows.applies(entry.getKey(), shape, target)
                    && !positions.applies(entry.getKey(), shape, target)) {
                wrongShape.add("'" + entry.getKey() + "' is " + shape + ", the model's " + target);
            }
        }
        if (!missing.isEmpty() || !wrongShape.isEmpty() || !saved.isEmpty()) {
            List<String> why = new ArrayList<>();
            if (!missing.isEmpty()) {
                why.add("missing parameters " + missing);
            }
            if (!wrongShape.isEmpty()) {
                why.add("different shapes: " + String.join(", ", wrongShape));
            }
            if (!saved.isEmpty()) {
                why.add("parameters the model does not have: " + saved.keySet());
            }
            throw new ConfigException(source.describe() + " does not fit the model: " + String.join("; ", why));
        }
        for (var entry : parameters.entrySet()) {
            NDArray target = entry.getValue().getArray();
            try (NDManager scratch = manager.newSubManager()) {
                NDArray tensor = source.read(entry.getKey(), scratch);
                if (rows.applies(entry.getKey(), tensor.getShape(), target.getShape())) {
                    ArrayCopy.into(target, rows.remap(tensor, target, false));
                } else if (positions.applies(entry.getKey(), tensor.getShape(), target.getShape())) {
                    ArrayCopy.into(target, positions.cut(tensor).toType(target.getDataType(), false));
                } else {
                    ArrayCopy.into(target, tensor.toType(target.getDataType(), false));
                }
            }
        }
    }

    /** {@link #loadWeights} with the vocabulary unchanged. */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager) {
        loadWeights(checkpoint, parameters, manager, VocabularyRows.IDENTITY, PositionRows.SAME);
    }

    /** Tensors of the optimizer file, in {@code scratch}. */
    public static Map<String, NDArray> readMoments(Path checkpoint, NDManager scratch) {
        return SafeTensors.read(checkpoint.resolve(CheckpointDirectory.OPTIMIZER_FILE), scratch);
    }
}
