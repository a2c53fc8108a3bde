package dev.tlab.layers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Constant tables (masks, position tables, bias tables) built once per (device, size) and kept for
 * the life of the model, so no step rebuilds them. They live in the model's manager and are taken
 * out of any step scope, which would otherwise free them.
 */
public final class TableCache {

    private final Map<String, NDArray> tables = new ConcurrentHashMap<>();
    private volatile NDManager owner;

    /** The manager that owns the model's parameters; tables are freed with it. */
    public void bind(NDManager manager) {
        owner = manager;
    }

    /**
     * The table for {@code key} on {@code device}, built by {@code build} on a manager for that device
     * the first time it is asked for, in the type it was built in.
     */
    public NDArray get(String key, Device device, NDManager fallback, Function<NDManager, NDArray> build) {
        return get(key, device, null, fallback, build);
    }

    /**
     * As {@link #get(String, Device, NDManager, Function)}, converted once to {@code type} (the
     * activations' type, so half-precision runs add half-precision tables); null keeps the built type.
     */
    public NDArray get(String key, Device device, DataType type, NDManager fallback, Function<NDManager, NDArray> build) {
        return tables.computeIfAbsent(device + "/" + type + "/" + key, k -> {
            NDManager base = owner != null ? owner : fallback;
            NDArray built = build.apply(base);
            NDArray table = built.toDevice(device, false);
            if (type != null && table.getDataType() != type) {
                table = table.toType(type, false);
            }
            NDScope.unregister(table);
            return table;
        });
    }

    /** {@code table} in {@code like}'s type: constant tables only, since the cast records no gradient. */
    public static NDArray matching(NDArray table, NDArray like) {
        return table.getDataType() == like.getDataType() ? table : table.toType(like.getDataType(), false);
    }

    /** Rows {@code [offset, offset + length)} of a table's first axis, the table itself when that is all. */
    public static NDArray rows(NDArray table, long offset, long length) {
        if (offset == 0 && table.getShape().get(0) == length) {
            return table;
        }
        return table.get(new NDIndex("{}:{}", offset, offset + length));
    }

    /** A table size that covers {@code needed}: at least {@code context}, else the next power of two. */
    public static long capacity(long needed, long context) {
        return needed <= context ? context : Long.highestOneBit(needed - 1) << 1;
    }
}
