package dev.tlab.metrics.tensorboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads event files for the tests, written from the format alone (no code shared with the writer):
 * each record's length and both masked CRC32Cs are checked, then each Event is decoded field by
 * field from the protobuf wire format.
 */
public final class EventReader {

    /** A decoded event: scalars by tag, texts by tag, and whether it is a version or session-start record. */
    public record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars, Map<String, String> texts,
            boolean sessionStart) {}

    private EventReader() {}

    public static List<Event> read(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            assertTrue(in.remaining() >= 16, file + ": a record cut short at byte " + in.position());
            byte[] lengthBytes = new byte[8];
            in.get(lengthBytes);
            long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(mask(lengthBytes), in.getInt(), "length CRC at byte " + (in.position() - 12));
            assertTrue(length <= in.remaining() - 4, "record length " + length + " runs past the file");
            byte[] data = new byte[(int) length];
            in.get(data);
            assertEquals(mask(data), in.getInt(), "data CRC of a record of " + length + " bytes");
            events.add(event(data));
        }
        return events;
    }

    /** Masked CRC32C: rotate right by 15, add 0xa282ead8. */
    static int mask(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        long c = crc.getValue();
        long rotated = ((c >> 15) | (c << 17)) & 0xFFFFFFFFL;
        return (int) ((rotated + 0xa282ead8L) & 0xFFFFFFFFL);
    }

    private static Event event(byte[] data) {
        Map<Integer, List<Object>> fields = fields(data);
        double wallTime = Double.longBitsToDouble((Long) fields.get(1).get(0));
        long step = fields.containsKey(2) ? (Long) fields.get(2).get(0) : 0;
        String version = fields.containsKey(3) ? text(fields.get(3).get(0)) : null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        Map<String, String> texts = new LinkedHashMap<>();
        if (fields.containsKey(5)) {
            for (Object value : fields(bytes(fields.get(5).get(0))).getOrDefault(1, List.of())) {
                Map<Integer, List<Object>> v = fields(bytes(value));
                String tag = text(v.get(1).get(0));
                if (v.containsKey(2)) {
                    scalars.put(tag, Float.intBitsToFloat((Integer) v.get(2).get(0)));
                } else {
                    Map<Integer, List<Object>> metadata = fields(bytes(v.get(9).get(0)));
                    Map<Integer, List<Object>> plugin = fields(bytes(metadata.get(1).get(0)));
                    assertEquals("text", text(plugin.get(1).get(0)));
                    Map<Integer, List<Object>> tensor = fields(bytes(v.get(8).get(0)));
                    assertEquals(7L, tensor.get(1).get(0), "dtype DT_STRING");
                    assertEquals(0, bytes(tensor.get(2).get(0)).length, "a scalar: empty tensor_shape");
                    texts.put(tag, text(tensor.get(8).get(0)));
                }
            }
        }
        boolean start = fields.containsKey(7) && fields(bytes(fields.get(7).get(0))).get(1).get(0).equals(1L);
        return new Event(wallTime, step, version, scalars, texts, start);
    }

    /** Field number to values: Long (varint, fixed64 bits), Integer (fixed32 bits) or byte[]. */
    private static Map<Integer, List<Object>> fields(byte[] data) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] at = {0};
        while (at[0] < data.length) {
            long key = varint(data, at);
            Object value = switch ((int) (key & 7)) {
                case 0 -> varint(data, at);
                case 1 -> { long v = ByteBuffer.wrap(data, at[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong(); at[0] += 8; yield v; }
                case 5 -> { int v = ByteBuffer.wrap(data, at[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt(); at[0] += 4; yield v; }
                case 2 -> {
                    int n = (int) varint(data, at);
                    byte[] v = java.util.Arrays.copyOfRange(data, at[0], at[0] + n);
                    at[0] += n;
                    yield v;
                }
                default -> throw new AssertionError("wire type " + (key & 7));
            };
            out.computeIfAbsent((int) (key >>> 3), k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static long varint(byte[] data, int[] at) {
        long value = 0;
        int shift = 0;
        while (true) {
            int b = data[at[0]++] & 0xFF;
            value |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return value;
            }
            shift += 7;
        }
    }

    private static byte[] bytes(Object value) {
        return (byte[]) value;
    }

    private static String text(Object value) {
        return new String(bytes(value), StandardCharsets.UTF_8);
    }
}
