package dev.tlab.metrics.tensorboard;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the protocol buffer wire format to write TensorBoard's messages: varints, 64-bit
 * doubles, 32-bit floats and length-delimited fields (strings, bytes, nested messages). Fields
 * are written in the order called, which for the messages here is field-number order, as
 * protobuf's own serializers do.
 */
final class Protobuf {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Protobuf varint(int field, long value) {
        tag(field, VARINT);
        writeVarint(value);
        return this;
    }

    Protobuf fixed64(int field, double value) {
        tag(field, FIXED64);
        long bits = Double.doubleToLongBits(value);
        for (int i = 0; i < 8; i++) {
            out.write((int) (bits >>> (8 * i)));
        }
        return this;
    }

    Protobuf fixed32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    Protobuf bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        writeVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    Protobuf string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Protobuf message(int field, Protobuf value) {
        return bytes(field, value.toBytes());
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        writeVarint(((long) field << 3) | wireType);
    }

    private void writeVarint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    /**
     * The first varint field {@code field} of a top-level message, or {@code missing}; other fields
     * are skipped by their wire type. Enough to read an event's step back.
     */
    static long readVarint(byte[] message, int field, long missing) {
        int[] at = {0};
        while (at[0] < message.length) {
            long key = varintAt(message, at);
            int type = (int) (key & 7);
            long value = switch (type) {
                case VARINT -> varintAt(message, at);
                case FIXED64 -> skip(at, 8);
                case LENGTH_DELIMITED -> skip(at, (int) varintAt(message, at));
                case FIXED32 -> skip(at, 4);
                default -> throw new IllegalArgumentException("wire type " + type);
            };
            if ((key >>> 3) == field && type == VARINT) {
                return value;
            }
        }
        return missing;
    }

    /** The first length-delimited field {@code field} of a top-level message (e.g. a sub-message), or null. */
    static byte[] readBytes(byte[] message, int field) {
        int[] at = {0};
        while (at[0] < message.length) {
            long key = varintAt(message, at);
            int type = (int) (key & 7);
            switch (type) {
                case VARINT -> varintAt(message, at);
                case FIXED64 -> skip(at, 8);
                case LENGTH_DELIMITED -> {
                    int length = (int) varintAt(message, at);
                    if ((key >>> 3) == field) {
                        return java.util.Arrays.copyOfRange(message, at[0], at[0] + length);
                    }
                    skip(at, length);
                }
                case FIXED32 -> {
                    if ((key >>> 3) == field) {
                        return null;
                    }
                    skip(at, 4);
                }
                default -> throw new IllegalArgumentException("wire type " + type);
            }
        }
        return null;
    }

    /** Whether a top-level message has a fixed32 field {@code field} (a float such as a scalar's value). */
    static boolean hasFixed32(byte[] message, int field) {
        int[] at = {0};
        while (at[0] < message.length) {
            long key = varintAt(message, at);
            int type = (int) (key & 7);
            if ((key >>> 3) == field && type == FIXED32) {
                return true;
            }
            switch (type) {
                case VARINT -> varintAt(message, at);
                case FIXED64 -> skip(at, 8);
                case LENGTH_DELIMITED -> skip(at, (int) varintAt(message, at));
                case FIXED32 -> skip(at, 4);
                default -> throw new IllegalArgumentException("wire type " + type);
            }
        }
        return false;
    }

    private static long skip(int[] at, int bytes) {
        at[0] += bytes;
        return 0;
    }

    private static long varintAt(byte[] message, int[] at) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = message[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
    }
}
