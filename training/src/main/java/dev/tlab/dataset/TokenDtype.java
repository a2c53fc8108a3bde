package dev.tlab.dataset;

import dev.tlab.errors.ConfigException;
import java.nio.ByteBuffer;

/** How a token id is stored in a shard: little-endian, as narrow as the vocabulary allows. */
public enum TokenDtype {
    UINT16("uint16", 2),
    UINT32("uint32", 4);

    private final String label;
    private final int bytes;

    TokenDtype(String label, int bytes) {
        this.label = label;
        this.bytes = bytes;
    }

    /** uint16 holds ids 0..65535, so a vocabulary of up to 65,536 tokens; anything larger needs uint32. */
    public static TokenDtype forVocab(int vocabSize) {
        return vocabSize <= 65536 ? UINT16 : UINT32;
    }

    public static TokenDtype parse(String label, String where) {
        for (TokenDtype dtype : values()) {
            if (dtype.label.equals(label)) {
                return dtype;
            }
        }
        throw new ConfigException(where + ": dtype '" + label + "' unknown; allowed: uint16, uint32");
    }

    /** The name meta.json uses: uint16 or uint32. */
    public String label() {
        return label;
    }

    public int bytes() {
        return bytes;
    }

    /** Token {@code index} of a little-endian buffer of this dtype. */
    int get(ByteBuffer buffer, int index) {
        return this == UINT16 ? Short.toUnsignedInt(buffer.getShort(index * 2)) : buffer.getInt(index * 4);
    }

    void put(ByteBuffer buffer, int token) {
        if (this == UINT16) {
            buffer.putShort((short) token);
        } else {
            buffer.putInt(token);
        }
    }
}
