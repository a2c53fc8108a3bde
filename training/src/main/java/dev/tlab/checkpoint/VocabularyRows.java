package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Moves the per-token rows of the token table ({@code wte.weight}) and an untied head ({@code
 * head.weight}) from a checkpoint's vocabulary to a new one, character by character. A character
 * the checkpoint knew keeps its trained row wherever its new id is; a new character keeps the row
 * the fresh model was initialized with (weights) or zeros (optimizer moments).
 */
public final class VocabularyRows {

    /** The parameters with one row per token. */
    public static final Set<String> TABLES = Set.of("wte.weight", "head.weight", "head.bias");

    public static final VocabularyRows IDENTITY = new VocabularyRows(new int[0], new int[0], new int[0]);

    private final int[] before;
    private final int[] after;
    private final int[] source;

    private VocabularyRows(int[] before, int[] after, int[] source) {
        this.before = before;
        this.after = after;
        this.source = source;
    }

    /** Rows for {@code after}'s ids taken from {@code before}'s, matched by code point. */
    public static VocabularyRows between(int[] before, int[] after) {
        if (java.util.Arrays.equals(before, after)) {
            return IDENTITY;
        }
        java.util.Map<Integer, Integer> oldId = new java.util.HashMap<>();
        for (int id = 0; id < before.length; id++) {
            oldId.put(before[id], id);
        }
        int[] source = new int[after.length];
        for (int id = 0; id < source.length; id++) {
            source[id] = oldId.getOrDefault(after[id], -1);
        }
        return new VocabularyRows(before, after, source);
    }

    /** Code points of the new vocabulary that the old one lacks. */
    public int[] added() {
        List<Integer> out = new ArrayList<>();
        for (int id = 0; id < source.length; id++) {
            if (source[id] < 0) {
                out.add(after[id]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether {@code name} is a per-token table whose saved shape this mapping turns into the model's. */
    public boolean applies(String name, Shape saved, Shape model) {
        return this != IDENTITY && TABLES.contains(name) && saved.dimension() == model.dimension()
                && saved.get(0) == before.length && model.get(0) == after.length
                && saved.slice(1).equals(model.slice(1));
    }

    /**
     * The new table: saved rows moved to their characters' new ids; other rows from {@code
     * current} ({@code zeroNew} false) or zero.
     */
    public float[] remap(NDArray saved, NDArray current, boolean zeroNew) {
        float[] from = saved.toType(DataType.FLOAT32, false).toFloatArray();
        float[] to = zeroNew ? new float[Math.toIntExact(current.size())] : current.toType(DataType.FLOAT32, false).toFloatArray();
        int width = Math.toIntExact(current.getShape().slice(1).size());
        for (int id = 0; id < source.length; id++) {
            if (source[id] >= 0) {
                System.arraycopy(from, source[id] * width, to, id * width, width);
            }
        }
        return to;
    }
}
