package dev.tlab.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tlab.models.ModelConfig;
import dev.tlab.positional.PositionalKind;
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
    private static final Set<String> NOT_ARCHITECTURE = Set.of("dropout", "vocabSize", "attention");

    private Compatibility() {}

    /**
     * Every architecture setting that differs, as {@code "model.d_model: checkpoint 32, now 64"}.
     * The vocabulary is compared separately ({@link #vocabulary}). The context is architecture only
     * for learned positions, whose table has a row per position: a RoPE model imported with a
     * context of 131072 fine-tunes on 512.
     */
    public static List<String> architecture(ModelConfig saved, ModelConfig now) {
        List<String> out = new ArrayList<>();
        for (RecordComponent component : ModelConfig.class.getRecordComponents()) {
            if (NOT_ARCHITECTURE.contains(component.getName())
                    || (component.getName().equals("context") && saved.positional() != PositionalKind.LEARNED
                            && now.positional() == saved.positional())) {
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

    /** Null when equal; otherwise which characters (code points) differ, for a message. */
    public static String vocabulary(int[] saved, int[] now) {
        if (java.util.Arrays.equals(saved, now)) {
            return null;
        }
        java.util.Set<Integer> inSaved = java.util.Arrays.stream(saved).boxed().collect(java.util.stream.Collectors.toSet());
        java.util.Set<Integer> inNow = java.util.Arrays.stream(now).boxed().collect(java.util.stream.Collectors.toSet());
        int[] added = java.util.Arrays.stream(now).filter(c -> !inSaved.contains(c)).toArray();
        int[] missing = java.util.Arrays.stream(saved).filter(c -> !inNow.contains(c)).toArray();
        List<String> parts = new ArrayList<>();
        if (added.length > 0) {
            parts.add("the data has " + added.length + " characters the checkpoint lacks: " + printable(added));
        }
        if (missing.length > 0) {
            parts.add("the checkpoint has " + missing.length + " characters the new vocabulary lacks: " + printable(missing));
        }
        if (parts.isEmpty()) {
            parts.add("the same characters in a different order");
        }
        return "vocabulary (checkpoint " + saved.length + " tokens, now " + now.length + "): " + String.join("; ", parts);
    }

    /** Null when the checkpoint's ids came from {@code now}; otherwise both tokenizers, named. */
    public static String tokenizer(CheckpointState.TokenizerInfo saved, dev.tlab.tokenize.Tokenizer now) {
        if (saved.kind().equals(now.kind()) && saved.fingerprint().equals(now.fingerprint())) {
            return null;
        }
        return "tokenizer (checkpoint " + describe(saved.kind(), saved.vocabSize(), saved.fingerprint()) + ", now "
                + describe(now.kind(), now.vocabSize(), now.fingerprint()) + ")";
    }

    private static String describe(String kind, int size, String fingerprint) {
        return kind + " with " + size + " tokens, fingerprint " + fingerprint.substring(0, Math.min(12, fingerprint.length()));
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

    /** Code points as a message lists them: whitespace and controls by number. */
    public static String printable(int[] symbols) {
        List<String> out = new ArrayList<>();
        for (int c : symbols) {
            out.add(Character.isISOControl(c) || Character.isWhitespace(c) || !Character.isValidCodePoint(c)
                    || Character.isSurrogate((char) c) && c <= 0xFFFF ? String.format("U+%04X", c)
                    : "'" + new String(Character.toChars(c)) + "'");
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
