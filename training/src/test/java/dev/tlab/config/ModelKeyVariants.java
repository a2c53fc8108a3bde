package dev.tlab.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tlab.models.ModelKeys;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Values to try for every model key, derived from its type and default alone, so that guards
 * which must know every key (export, the memory estimate) are tested on keys added later too.
 */
public final class ModelKeyVariants {

    private ModelKeyVariants() {}

    /** Bases to vary a key in: some keys act only together with another setting. */
    public static final List<List<String>> BASES = List.of(
            List.of(),
            List.of("model.positional=rope"),
            List.of("model.positional=relative"),
            List.of("data.task=reverse"));

    /** {@code --set} values for {@code key} other than its default, valid or not. */
    public static Set<String> values(String key) {
        JsonNode fallback = ConfigLoader.defaults().path("model").path(key);
        Class<?> type = ModelKeys.type(key);
        Set<String> out = new LinkedHashSet<>();
        if (type == int.class) {
            int d = fallback.intValue();
            for (int v : new int[] {1, 2, 3, 4, 8, 16, d + 1, 2 * d}) {
                out.add(Integer.toString(v));
            }
        } else if (type == double.class) {
            double d = fallback.doubleValue();
            for (double v : new double[] {0.1, 0.5, 2.0, 4.0, d * 2, d / 2, d + 1}) {
                out.add(Double.toString(v));
            }
        } else if (type == boolean.class) {
            out.add(Boolean.toString(!fallback.booleanValue()));
        } else if (type.isEnum()) {
            for (Object constant : type.getEnumConstants()) {
                out.add(constant.toString());
            }
        } else if (type == dev.tlab.layers.Biases.class) {
            out.addAll(List.of("true", "false", "[qkv]", "[qkv, out, mlp]", "[norm]"));
        } else {
            throw new IllegalStateException("model." + key + ": no variants for " + type);
        }
        out.remove(fallback.asText());
        return out;
    }

    /** The run with {@code base} and {@code model.key=value}, or null when that is not a valid config. */
    public static RunConfig tryLoad(List<String> base, String key, String value) {
        List<String> sets = new java.util.ArrayList<>(base);
        sets.add("model." + key + "=" + value);
        return tryLoad(sets);
    }

    /** The run with {@code sets} applied to the defaults, or null when that is not a valid config. */
    public static RunConfig tryLoad(List<String> sets) {
        try {
            return ConfigLoader.parse("name: v\n", "variant", java.nio.file.Path.of("."), "v", sets);
        } catch (dev.tlab.errors.ConfigException e) {
            return null;
        }
    }
}
