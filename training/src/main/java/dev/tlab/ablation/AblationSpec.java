package dev.tlab.ablation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ablation grid as written in YAML (see docs/CONFIG.md, "Ablation specs"): a base run config,
 * the config keys to vary and their values, seeds, fixed overrides and extrapolation contexts.
 *
 * @param file the spec file
 * @param name the sweep's name (the spec file's name unless it sets one)
 * @param base the base run config, resolved against the spec's directory
 * @param grid config key to the values it takes, in the spec's order; or a label to bundles, mappings
 *     of config keys to values that vary together (e.g. a tokenizer and the steps that give the same bytes)
 * @param seeds seeds each setting runs with; empty = the base's {@code train.seed}
 * @param set fixed overrides for every run
 * @param contexts multiples of {@code model.context} at which val loss is measured after training
 */
public record AblationSpec(
        Path file, String name, Path base, Map<String, List<JsonNode>> grid, List<Long> seeds,
        Map<String, JsonNode> set, List<Integer> contexts) {

    /** The keys a spec may have, in documentation order. */
    public static final List<String> KEYS = List.of("base", "name", "grid", "seeds", "set", "contexts");
    /** Config keys the sweep sets per run, so the grid may not vary them (set may give output.dir). */
    static final Map<String, String> RESERVED = Map.of(
            "name", "each run is named after its settings",
            "output.dir", "the sweep's runs all go to <output.dir>/<spec name>/",
            "train.seed", "seeds are listed under seeds:");

    private static final YAMLMapper YAML = new YAMLMapper();

    public static AblationSpec load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("ablation spec not found: " + file);
        }
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": invalid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": an ablation spec is a mapping with keys " + String.join(", ", KEYS));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new ConfigException(file + ": unknown spec key '" + key + "'; valid keys: " + String.join(", ", KEYS));
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        String name = root.has("name") ? text(root, "name", file) : file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException(file + ": name: use letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        if (!root.has("base")) {
            throw new ConfigException(file + ": base: missing; name the run config every run starts from");
        }
        Path base = dir.resolve(text(root, "base", file)).normalize();
        if (!Files.isRegularFile(base)) {
            throw new ConfigException(file + ": base: config not found: " + base);
        }
        List<String> valid = configKeys();
        Map<String, List<JsonNode>> grid = new LinkedHashMap<>();
        JsonNode gridNode = root.path("grid");
        if (!gridNode.isObject() || gridNode.isEmpty()) {
            throw new ConfigException(file + ": grid: expected a mapping of config keys to lists of values,"
                    + " e.g. grid: {model.positional: [learned, rope]}");
        }
        gridNode.fields().forEachRemaining(e -> {
            JsonNode values = e.getValue();
            if (!values.isArray() || values.isEmpty()) {
                throw new ConfigException(file + ": grid: '" + e.getKey() + "' needs a non-empty list of values, got " + values);
            }
            // A list of mappings is a bundle: each value sets several keys together, under a label of its own.
            boolean bundle = values.get(0).isObject();
            String key = bundle ? label(file, e.getKey(), valid) : checkKey(file, "grid", e.getKey(), valid);
            List<JsonNode> list = new ArrayList<>();
            values.forEach(v -> {
                if (v.isObject() != bundle || v.isNull() || bundle && v.isEmpty()) {
                    throw new ConfigException(file + ": grid: '" + key + "' mixes values and mappings, or has an empty one: "
                            + v + (bundle ? "; every value of a bundle is a mapping of config keys to values" : ""));
                }
                if (bundle) {
                    v.fields().forEachRemaining(f -> {
                        checkKey(file, "grid", f.getKey(), valid);
                        if (f.getValue().isObject() || f.getValue().isNull()) {
                            throw new ConfigException(file + ": grid: '" + key + "': '" + f.getKey() + "' has a value that is"
                                    + " not a value: " + f.getValue());
                        }
                    });
                }
                if (list.contains(v)) {
                    throw new ConfigException(file + ": grid: '" + key + "' lists " + v + " twice");
                }
                list.add(v);
            });
            grid.put(key, list);
        });
        List<Long> seeds = new ArrayList<>();
        if (root.has("seeds")) {
            JsonNode node = root.get("seeds");
            if (!node.isArray() || node.isEmpty()) {
                throw new ConfigException(file + ": seeds: expected a non-empty list of integers, got " + node);
            }
            node.forEach(s -> {
                if (!s.isIntegralNumber() || seeds.contains(s.longValue())) {
                    throw new ConfigException(file + ": seeds: expected distinct integers, got " + node);
                }
                seeds.add(s.longValue());
            });
        }
        Map<String, JsonNode> set = new LinkedHashMap<>();
        if (root.has("set")) {
            JsonNode node = root.get("set");
            if (!node.isObject()) {
                throw new ConfigException(file + ": set: expected a mapping of config keys to values, got " + node);
            }
            node.fields().forEachRemaining(e -> {
                String key = checkKey(file, "set", e.getKey(), valid);
                if (grid.containsKey(key) || bundleKeys(grid).contains(key)) {
                    throw new ConfigException(file + ": '" + key + "' is both in grid and in set");
                }
                set.put(key, e.getValue());
            });
        }
        List<Integer> contexts = new ArrayList<>(List.of(2, 4));
        if (root.has("contexts")) {
            JsonNode node = root.get("contexts");
            contexts.clear();
            if (!node.isArray()) {
                throw new ConfigException(file + ": contexts: expected a list of multiples of model.context, e.g. [2, 4], got " + node);
            }
            node.forEach(c -> {
                if (!c.isIntegralNumber() || c.intValue() < 1) {
                    throw new ConfigException(file + ": contexts: expected integers >= 1, got " + node);
                }
                contexts.add(c.intValue());
            });
        }
        return new AblationSpec(file, name, base, grid, seeds, set, contexts);
    }

    /** Every dotted config key a grid or set may use. */
    public static List<String> configKeys() {
        List<String> keys = new ArrayList<>();
        flatten(ConfigLoader.defaults(), "", keys);
        keys.removeAll(RESERVED.keySet());
        return keys;
    }

    private static void flatten(JsonNode node, String prefix, List<String> out) {
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isObject()) {
                flatten(e.getValue(), prefix + e.getKey() + ".", out);
            } else {
                out.add(prefix + e.getKey());
            }
        });
    }

    private static String checkKey(Path file, String where, String key, List<String> valid) {
        if (where.equals("set") && key.equals("output.dir")) {
            return key;
        }
        if (RESERVED.containsKey(key)) {
            throw new ConfigException(file + ": " + where + ": '" + key + "' cannot be set here: " + RESERVED.get(key));
        }
        if (!valid.contains(key)) {
            throw new ConfigException(file + ": unknown " + where + " key '" + key + "'; valid keys: " + String.join(", ", valid));
        }
        return key;
    }

    /** The config keys the grid's bundles set. */
    static java.util.Set<String> bundleKeys(Map<String, List<JsonNode>> grid) {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        grid.values().forEach(values -> values.stream().filter(JsonNode::isObject)
                .forEach(bundle -> bundle.fieldNames().forEachRemaining(keys::add)));
        return keys;
    }

    /** A bundle's label names a column of the results, so it must not look like a config key. */
    private static String label(Path file, String label, List<String> valid) {
        if (valid.contains(label) || !label.matches("[A-Za-z0-9_]+")) {
            throw new ConfigException(file + ": grid: a bundle's label is a plain name (letters, digits, '_'), not a"
                    + " config key, got '" + label + "'");
        }
        return label;
    }

    private static String text(JsonNode root, String key, Path file) {
        JsonNode node = root.get(key);
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new ConfigException(file + ": " + key + ": expected a string, got " + node);
        }
        return node.asText();
    }
}
