package dev.tlab.lora;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.UniformInitializer;
import dev.tlab.layers.Dense;
import dev.tlab.layers.Params;
import dev.tlab.models.TokenModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA adapters attached to a model's projections. Each targeted part of a {@link Dense} gets
 * {@code A} drawn as {@code peft} draws it (Kaiming-uniform with {@code a = sqrt(5)}, that is
 * uniform in {@code +-1/sqrt(in)}) and {@code B} zero, so the adapted model starts as the base.
 * The adapter parameters live outside the model's own: {@link TokenModel#namedParameters()} is
 * still the base. Names are the projection's, then {@code lora_a.<part>} or {@code lora_b.<part>},
 * e.g. {@code h.0.attn.qkv.lora_a.q}.
 */
public final class Lora {

    private final LoraSpec spec;
    private final Map<String, LoraAdapter> adapters;
    private final Map<String, Parameter> parameters;

    private Lora(LoraSpec spec, Map<String, LoraAdapter> adapters, Map<String, Parameter> parameters) {
        this.spec = spec;
        this.adapters = adapters;
        this.parameters = parameters;
    }

    /**
     * Attaches adapters to every projection part {@code spec} targets, their parameters created in
     * {@code manager}.
     *
     * @throws IllegalArgumentException naming a target the model has no projection for
     */
    public static Lora attach(TokenModel model, LoraSpec spec, NDManager manager) {
        Set<String> found = new LinkedHashSet<>();
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        for (var entry : projections(model).entrySet()) {
            Dense dense = entry.getValue();
            List<LoraAdapter.Factors> factors = new ArrayList<>();
            for (Dense.Part part : dense.parts()) {
                found.add(part.name());
                if (!spec.targets(part.name())) {
                    continue;
                }
                String prefix = entry.getKey() + ".lora_";
                Parameter a = create(prefix + "a." + part.name(), new Shape(spec.rank(), dense.inFeatures()),
                        new UniformInitializer((float) (1 / Math.sqrt(dense.inFeatures()))), manager);
                Parameter b = create(prefix + "b." + part.name(), new Shape(part.size(), spec.rank()), Initializer.ZEROS,
                        manager);
                parameters.put(a.getName(), a);
                parameters.put(b.getName(), b);
                factors.add(new LoraAdapter.Factors(part, a, b));
            }
            if (!factors.isEmpty()) {
                LoraAdapter adapter = new LoraAdapter(dense, factors, spec.scale(), spec.dropout());
                dense.setAdapter(adapter);
                adapters.put(entry.getKey(), adapter);
            }
        }
        for (String target : spec.targets()) {
            if (!target.equals(LoraSpec.ALL) && !found.contains(target)) {
                throw new IllegalArgumentException("'" + target + "': the model has no such projection (it has "
                        + String.join(", ", found) + ")");
            }
        }
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("no projection matches " + spec.targets());
        }
        return new Lora(spec, adapters, parameters);
    }

    /** Removes the adapters: the model is the base again. */
    public void detach() {
        adapters.values().forEach(adapter -> adapter.dense().setAdapter(null));
    }

    /** Every adapter parameter by name, {@code A} before {@code B}, in the model's order. */
    public Map<String, Parameter> parameters() {
        return parameters;
    }

    /** The adapters by projection name ({@code h.0.attn.qkv}). */
    public Map<String, LoraAdapter> adapters() {
        return adapters;
    }

    public LoraSpec spec() {
        return spec;
    }

    /** Every {@link Dense} that names parts of its output, by its path ({@code h.0.mlp.fc}), in the model's order. */
    public static Map<String, Dense> projections(Block model) {
        Map<String, Dense> out = new LinkedHashMap<>();
        collect(model, "", out);
        return out;
    }

    private static void collect(Block block, String path, Map<String, Dense> out) {
        if (block instanceof Dense dense && !dense.parts().isEmpty()) {
            out.put(path, dense);
            return;
        }
        for (var child : block.getChildren()) {
            // DJL prefixes each child's name with its index (01wte); tlab's names never start with a digit.
            String name = child.getKey().replaceFirst("^\\d+", "");
            collect(child.getValue(), path.isEmpty() ? name : path + "." + name, out);
        }
    }

    private static Parameter create(String name, Shape shape, Initializer init, NDManager manager) {
        Parameter parameter = Params.of(name, Parameter.Type.WEIGHT, shape, init);
        parameter.initialize(manager, DataType.FLOAT32);
        return parameter;
    }
}
