package dev.tlab.chat;

import java.util.Collection;
import java.util.Map;

/**
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)}, the {@code tojson} filter of chat
 * templates: ", " and ": " between items (",\n" and ": " when indented), keys in their order,
 * non-ASCII characters as they are.
 */
final class PythonJson {

    private PythonJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Integer indent, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof java.math.BigInteger) {
            out.append(value);
        } else if (value instanceof Number n) {
            out.append(floatRepr(n.doubleValue()));
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                separate(out, first, indent, depth + 1);
                first = false;
                string(out, String.valueOf(entry.getKey()));
                out.append(": ");
                write(out, entry.getValue(), indent, depth + 1);
            }
            close(out, indent, depth);
            out.append('}');
        } else if (value instanceof Collection<?> || value instanceof Object[]) {
            Collection<?> items = value instanceof Object[] array ? java.util.Arrays.asList(array) : (Collection<?>) value;
            if (items.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                separate(out, first, indent, depth + 1);
                first = false;
                write(out, item, indent, depth + 1);
            }
            close(out, indent, depth);
            out.append(']');
        } else {
            string(out, String.valueOf(value));
        }
    }

    private static void separate(StringBuilder out, boolean first, Integer indent, int depth) {
        if (indent == null) {
            if (!first) {
                out.append(", ");
            }
            return;
        }
        if (!first) {
            out.append(',');
        }
        out.append('\n').append(" ".repeat(indent * depth));
    }

    private static void close(StringBuilder out, Integer indent, int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    /** Python's float repr for the usual cases: 1.0, 0.5, 1e-05, inf as Infinity. */
    private static String floatRepr(double x) {
        if (Double.isNaN(x)) {
            return "NaN";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "Infinity" : "-Infinity";
        }
        String java = Double.toString(x);
        int e = java.indexOf('E');
        if (e < 0) {
            return java;
        }
        String mantissa = java.substring(0, e).replace(".0", "");
        int exponent = Integer.parseInt(java.substring(e + 1));
        if (exponent >= -4 && exponent < 16) {
            return new java.math.BigDecimal(java).toPlainString();
        }
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }

    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
