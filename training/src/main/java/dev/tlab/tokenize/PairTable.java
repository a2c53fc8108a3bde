package dev.tlab.tokenize;

import java.util.Arrays;

/**
 * Map from a pair of token ids to an int (a merge's rank), by open addressing on primitive keys:
 * encoding looks up every adjacent pair of every piece, so boxing a key per lookup would dominate.
 * Written once while building, then only read, so safe to share between threads.
 */
final class PairTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] values;
    private final int mask;
    private final int maxSize;
    private int size;

    PairTable(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        mask = capacity - 1;
        maxSize = capacity / 2;
        Arrays.fill(keys, EMPTY);
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Sets the value of a pair not yet in the table; returns false (and changes nothing) if it is. */
    boolean putIfAbsent(int left, int right, int value) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        if (size == maxSize) {
            throw new IllegalStateException("pair table is full at " + size + " pairs");
        }
        keys[slot] = key;
        values[slot] = value;
        size++;
        return true;
    }

    /** The value of the pair, or -1. */
    int get(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long found = keys[slot];
            if (found == key) {
                return values[slot];
            }
            if (found == EMPTY) {
                return -1;
            }
            slot = (slot + 1) & mask;
        }
    }

    private int slot(long key) {
        long mixed = key * 0x9E3779B97F4A7C15L;
        return (int) (mixed ^ (mixed >>> 32)) & mask;
    }
}
