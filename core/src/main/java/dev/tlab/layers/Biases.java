package dev.tlab.layers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Which parts carry a bias ({@code model.bias}): the q/k/v projection, attention's output
 * projection, the feed-forward's two layers, and LayerNorm's shift (RMSNorm has none). GPT-2 has
 * all ({@code true}), Llama none ({@code false}), Qwen2 only {@code [qkv]}.
 */
public record Biases(boolean qkv, boolean out, boolean mlp, boolean norm) {

    public static final Biases ALL = new Biases(true, true, true, true);
    public static final Biases NONE = new Biases(false, false, false, false);
    private static final List<String> PARTS = List.of("qkv", "out", "mlp", "norm");

    public static Biases of(boolean all) {
        return all ? ALL : NONE;
    }

    /** {@code true}, {@code false} or a list of parts. */
    public static Biases parse(String key, JsonNode node) {
        if (node.isBoolean()) {
            return of(node.booleanValue());
        }
        String expected = key + ": expected true, false or a list of the parts with biases (" + String.join(", ", PARTS)
                + "), got ";
        if (!node.isArray()) {
            throw new IllegalArgumentException(expected + (node.isTextual() ? "'" + node.asText() + "'" : node));
        }
        boolean[] set = new boolean[PARTS.size()];
        for (JsonNode element : node) {
            int part = element.isTextual() ? PARTS.indexOf(element.asText()) : -1;
            if (part < 0) {
                throw new IllegalArgumentException(key + ": unknown part " + element + " in " + node + "; allowed: "
                        + String.join(", ", PARTS));
            }
            if (set[part]) {
                throw new IllegalArgumentException(key + ": " + element + " is listed twice in " + node);
            }
            set[part] = true;
        }
        return new Biases(set[0], set[1], set[2], set[3]);
    }

    /** As a config writes it: {@code true} or {@code false} when all parts agree, else the list. */
    public JsonNode toJson() {
        if (equals(ALL) || equals(NONE)) {
            return BooleanNode.valueOf(equals(ALL));
        }
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        boolean[] set = {qkv, out, mlp, norm};
        for (int i = 0; i < set.length; i++) {
            if (set[i]) {
                list.add(PARTS.get(i));
            }
        }
        return list;
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
