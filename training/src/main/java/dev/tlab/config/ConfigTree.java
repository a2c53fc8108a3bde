package dev.tlab.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

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
        JsonNode node = node(key);
        if (!node.isIntegralNumber()) {
            throw new ConfigException(key + ": expected an integer, got " + describe(node));
        }
        if (!node.canConvertToInt()) {
            throw outOfRange(key, node, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return node.intValue();
    }

    long longValue(String key) {
        JsonNode node = node(key);
        if (!node.isIntegralNumber()) {
            throw new ConfigException(key + ": expected an integer, got " + describe(node));
        }
        if (!node.canConvertToLong()) {
            throw outOfRange(key, node, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return node.longValue();
    }

    double number(String key) {
        JsonNode node = node(key);
        if (!node.isNumber()) {
            throw new ConfigException(key + ": expected a number, got " + describe(node));
        }
        return finite(key, node);
    }

    /** A number too large for a double (1e400) reads as Infinity; no setting means that, so it is refused. */
    private static double finite(String key, JsonNode node) {
        double value = node.doubleValue();
        if (!Double.isFinite(value)) {
            throw new ConfigException(key + ": expected a finite number, got " + node.asText()
                    + (node.isFloatingPointNumber() && !Double.isNaN(value) ? " (too large for a double)" : ""));
        }
        return value;
    }

    private static ConfigException outOfRange(String key, JsonNode node, long min, long max) {
        String bound = node.bigIntegerValue().signum() < 0 ? "at least " + min : "at most " + max;
        return new ConfigException(key + ": " + node.asText() + " is out of range; " + bound);
    }

    boolean bool(String key) {
        JsonNode node = node(key);
        if (!node.isBoolean()) {
            throw new ConfigException(key + ": expected true or false, got " + describe(node));
        }
        return node.booleanValue();
    }

    String text(String key) {
        JsonNode node = node(key);
        if (!node.isValueNode() || node.isNull()) {
            throw new ConfigException(key + ": expected a string, got " + describe(node));
        }
        return node.asText();
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
                values.add(finite(key, element));
            }
        }
        if (values == null || values.size() != count) {
            throw new ConfigException(
                    key + ": expected a list of " + count + " numbers, got " + describe(node));
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String describe(JsonNode node) {
        return node.isTextual() ? "'" + node.asText() + "'" : node.toString();
    }
}
