package dev.tlab.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Keys and values of earlier tokens, per attention block, for incremental decoding. Self-attention
 * entries grow by the new tokens each call; cross-attention entries are the encoder's keys and
 * values, computed once. The arrays live in the cache's own manager, outside any step scope, and
 * are freed when it is closed.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final Map<Object, NDArray[]> entries = new IdentityHashMap<>();
    private long length;

    /** @param parent usually the model's manager; the cache opens a child of it */
    public KvCache(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Tokens already decoded: the position of the next one. */
    public long length() {
        return length;
    }

    /** Called by the model once every layer has seen the new tokens. */
    public void advance(long tokens) {
        length += tokens;
    }

    /**
     * Forgets every token from position {@code length} on, so decoding can go on from an earlier
     * point (a chat whose next prompt shares only a prefix with what the cache holds). Self-attention
     * caches only: entries are cut along their time axis.
     */
    public void truncate(long length) {
        if (length < 0 || length > this.length) {
            throw new IllegalArgumentException("cannot keep " + length + " of " + this.length + " cached tokens");
        }
        if (length == this.length) {
            return;
        }
        for (Map.Entry<Object, NDArray[]> entry : entries.entrySet()) {
            NDArray[] old = entry.getValue();
            NDArray[] cut = new NDArray[old.length];
            for (int i = 0; i < old.length; i++) {
                cut[i] = keep(old[i].get(new ai.djl.ndarray.index.NDIndex(":, :, :{}", length)));
                old[i].close();
            }
            entry.setValue(cut);
        }
        this.length = length;
    }

    /** {@code {keys, values}} stored for {@code block}, or null. */
    NDArray[] get(Object block) {
        return entries.get(block);
    }

    void put(Object block, NDArray keys, NDArray values) {
        NDArray[] old = entries.put(block, new NDArray[] {keep(keys), keep(values)});
        if (old != null) {
            for (NDArray array : old) {
                if (array != keys && array != values) {
                    array.close();
                }
            }
        }
    }

    private NDArray keep(NDArray array) {
        NDScope.unregister(array);
        array.attach(manager);
        return array;
    }

    @Override
    public void close() {
        entries.clear();
        manager.close();
    }
}
