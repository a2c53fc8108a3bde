package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * Weights by tlab parameter name, read one tensor at a time: a checkpoint's {@code
 * model.safetensors}, or a Hugging Face GPT-2 folder seen through its name and layout mapping.
 */
public interface TensorSource {

    /** What to call the source in messages (a file or folder). */
    String describe();

    /** Every tensor's shape, by parameter name, in the layout the model wants. */
    Map<String, Shape> shapes();

    /** The tensor {@code name} in the model's layout, created in {@code manager}. */
    NDArray read(String name, NDManager manager);

    /** A checkpoint's weights file, memory-mapped. */
    static TensorSource of(SafeTensors.Mapped file) {
        return new TensorSource() {
            @Override
            public String describe() {
                return file.file().toString();
            }

            @Override
            public Map<String, Shape> shapes() {
                Map<String, Shape> out = new java.util.LinkedHashMap<>();
                file.entries().forEach((name, entry) -> out.put(name, entry.djlShape()));
                return out;
            }

            @Override
            public NDArray read(String name, NDManager manager) {
                return file.read(name, manager);
            }
        };
    }
}
