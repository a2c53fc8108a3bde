package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.tlab.config.ConfigException;
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
     */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager,
            VocabularyRows rows) {
        Path file = checkpoint.resolve(CheckpointDirectory.MODEL_FILE);
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> saved = new LinkedHashMap<>(SafeTensors.read(file, scratch));
            List<String> missing = new ArrayList<>();
            List<String> wrongShape = new ArrayList<>();
            for (var entry : parameters.entrySet()) {
                NDArray source = saved.remove(entry.getKey());
                NDArray target = entry.getValue().getArray();
                if (source == null) {
                    missing.add(entry.getKey());
                } else if (rows.applies(entry.getKey(), source.getShape(), target.getShape())) {
                    ArrayCopy.into(target, rows.remap(source, target, false));
                } else if (!source.getShape().equals(target.getShape())) {
                    wrongShape.add("'" + entry.getKey() + "' is " + source.getShape() + ", the model's " + target.getShape());
                } else {
                    ArrayCopy.into(target, source.toType(target.getDataType(), false));
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
                throw new ConfigException(file + " does not fit the model: " + String.join("; ", why));
            }
        }
    }

    /** {@link #loadWeights} with the vocabulary unchanged. */
    public static void loadWeights(Path checkpoint, Map<String, Parameter> parameters, NDManager manager) {
        loadWeights(checkpoint, parameters, manager, VocabularyRows.IDENTITY);
    }

    /** Tensors of the optimizer file, in {@code scratch}. */
    public static Map<String, NDArray> readMoments(Path checkpoint, NDManager scratch) {
        return SafeTensors.read(checkpoint.resolve(CheckpointDirectory.OPTIMIZER_FILE), scratch);
    }
}
