package dev.tlab.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import dev.tlab.util.JsonValues;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;

/** Typed reads from a merged config tree; every error names the dotted key. */
final class ConfigTree {

    private final ObjectNode root;

    ConfigTree(ObjectNode root) {
        this.root = root;
    }

    JsonNode node(String key) {
        JsonNode node = root;
        for (String part : key.split("\\.")) {
            node = node.path(part);
        }
        if (node.isMissingNode()) {
            throw new ConfigException(key + ": missing");
        }
        return node;
    }

    int integer(String key) {
        return read(() -> JsonValues.integer(key, node(key)));
    }

    long longValue(String key) {
        return read(() -> JsonValues.longValue(key, node(key)));
    }

    double number(String key) {
        return read(() -> JsonValues.number(key, node(key)));
    }

    boolean bool(String key) {
        return read(() -> JsonValues.bool(key, node(key)));
    }

    String text(String key) {
        return read(() -> JsonValues.text(key, node(key)));
    }

    /** A typed read, its error (which names the key) as a config error. */
    private static <T> T read(Supplier<T> value) {
        try {
            return value.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    List<String> texts(String key) {
        JsonNode node = node(key);
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (!element.isTextual()) {
                    values = null;
                    break;
                }
                values.add(element.asText());
            }
        }
        if (values == null) {
            throw new ConfigException(key + ": expected a list of strings, got " + describe(node));
        }
        return values;
    }

    double[] numbers(String key, int count) {
        JsonNode node = node(key);
        List<Double> values = new ArrayList<>();
        if (node.isArray()) {
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                JsonNode element = it.next();
                if (!element.isNumber()) {
                    values = null;
                    break;
                }
                values.add(read(() -> JsonValues.finite(key, element)));
            }
        }
        if (values == null || values.size() != count) {
            throw new ConfigException(
                    key + ": expected a list of " + count + " numbers, got " + describe(node));
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String describe(JsonNode node) {
        return JsonValues.describe(node);
    }
}
