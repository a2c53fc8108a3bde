package dev.tlab.util;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads of one config value; every error names the dotted key and says what was expected.
 * Errors are {@link IllegalArgumentException}s, which the config loader reports as config errors.
 */
public final class JsonValues {

    private JsonValues() {}

    public static int integer(String key, JsonNode node) {
        if (!node.isIntegralNumber()) {
            throw new IllegalArgumentException(key + ": expected an integer, got " + describe(node));
        }
        if (!node.canConvertToInt()) {
            throw outOfRange(key, node, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return node.intValue();
    }

    public static long longValue(String key, JsonNode node) {
        if (!node.isIntegralNumber()) {
            throw new IllegalArgumentException(key + ": expected an integer, got " + describe(node));
        }
        if (!node.canConvertToLong()) {
            throw outOfRange(key, node, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return node.longValue();
    }

    public static double number(String key, JsonNode node) {
        if (!node.isNumber()) {
            throw new IllegalArgumentException(key + ": expected a number, got " + describe(node));
        }
        return finite(key, node);
    }

    /** A number too large for a double (1e400) reads as Infinity; no setting means that, so it is refused. */
    public static double finite(String key, JsonNode node) {
        double value = node.doubleValue();
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(key + ": expected a finite number, got " + node.asText()
                    + (node.isFloatingPointNumber() && !Double.isNaN(value) ? " (too large for a double)" : ""));
        }
        return value;
    }

    public static boolean bool(String key, JsonNode node) {
        if (!node.isBoolean()) {
            throw new IllegalArgumentException(key + ": expected true or false, got " + describe(node));
        }
        return node.booleanValue();
    }

    public static String text(String key, JsonNode node) {
        if (!node.isValueNode() || node.isNull()) {
            throw new IllegalArgumentException(key + ": expected a string, got " + describe(node));
        }
        return node.asText();
    }

    private static IllegalArgumentException outOfRange(String key, JsonNode node, long min, long max) {
        String bound = node.bigIntegerValue().signum() < 0 ? "at least " + min : "at most " + max;
        return new IllegalArgumentException(key + ": " + node.asText() + " is out of range; " + bound);
    }

    public static String describe(JsonNode node) {
        return node.isTextual() ? "'" + node.asText() + "'" : node.toString();
    }
}
