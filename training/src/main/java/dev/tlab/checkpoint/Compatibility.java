package dev.tlab.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tlab.models.ModelConfig;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What differs between a checkpoint and the run about to use it, in config-key terms. */
public final class Compatibility {

    /** Model settings that change behaviour but not the weights: free to differ. */
    private static final Set<String> NOT_ARCHITECTURE = Set.of("dropout", "vocabSize");

    private Compatibility() {}

    /**
     * Every architecture setting that differs, as {@code "model.d_model: checkpoint 32, now 64"}.
     * The vocabulary is compared separately ({@link #vocabulary}).
     */
    public static List<String> architecture(ModelConfig saved, ModelConfig now) {
        List<String> out = new ArrayList<>();
        for (RecordComponent component : ModelConfig.class.getRecordComponents()) {
            if (NOT_ARCHITECTURE.contains(component.getName())) {
                continue;
            }
            Object a = value(component, saved);
            Object b = value(component, now);
            if (!a.equals(b)) {
                out.add("model." + snake(component.getName()) + ": checkpoint " + show(a) + ", now " + show(b));
            }
        }
        return out;
    }

    /** Null when equal; otherwise which characters differ, for a message. */
    public static String vocabulary(String saved, String now) {
        if (saved.equals(now)) {
            return null;
        }
        StringBuilder added = new StringBuilder();
        now.chars().filter(c -> saved.indexOf(c) < 0).forEach(c -> added.append((char) c));
        StringBuilder missing = new StringBuilder();
        saved.chars().filter(c -> now.indexOf(c) < 0).forEach(c -> missing.append((char) c));
        List<String> parts = new ArrayList<>();
        if (!added.isEmpty()) {
            parts.add("the data has " + added.length() + " characters the checkpoint lacks: " + printable(added.toString()));
        }
        if (!missing.isEmpty()) {
            parts.add("the checkpoint has " + missing.length() + " characters the new vocabulary lacks: "
                    + printable(missing.toString()));
        }
        if (parts.isEmpty()) {
            parts.add("the same characters in a different order");
        }
        return "vocabulary (checkpoint " + saved.length() + " tokens, now " + now.length() + "): " + String.join("; ", parts);
    }

    /**
     * Keys whose values differ between two config trees ({@code RunConfig.tree()}), as {@code
     * "train.lr: 0.001 -> 0.002"}, minus {@code ignored}.
     */
    public static List<String> settings(JsonNode saved, JsonNode now, Set<String> ignored) {
        Map<String, String> a = new LinkedHashMap<>();
        Map<String, String> b = new LinkedHashMap<>();
        flatten(saved, "", a);
        flatten(now, "", b);
        Set<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        List<String> out = new ArrayList<>();
        for (String key : keys) {
            String before = a.getOrDefault(key, "(unset)");
            String after = b.getOrDefault(key, "(unset)");
            if (!ignored.contains(key) && !before.equals(after)) {
                out.add(key + ": " + before + " -> " + after);
            }
        }
        return out;
    }

    /** Characters as {@code 'x'}, with control characters as {@code U+000A}. */
    public static String printable(String chars) {
        List<String> out = new ArrayList<>();
        for (char c : chars.toCharArray()) {
            out.add(Character.isISOControl(c) || Character.isWhitespace(c) ? String.format("U+%04X", (int) c) : "'" + c + "'");
        }
        return String.join(" ", out);
    }

    private static void flatten(JsonNode node, String prefix, Map<String, String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> flatten(f.getValue(), prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), out));
        } else {
            out.put(prefix, node.isTextual() ? node.asText() : node.toString());
        }
    }

    private static Object value(RecordComponent component, ModelConfig config) {
        try {
            return component.getAccessor().invoke(config);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String show(Object value) {
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
    }

    /** {@code dModel} to {@code d_model}, as the config keys are spelled. */
    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
