package dev.tlab.metrics.tensorboard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: each record is
 *
 * <pre>
 *   uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
 * </pre>
 *
 * all little-endian, where {@code masked_crc32c(x) = rotate_right(crc32c(x), 15) + 0xa282ead8}
 * (TensorFlow's {@code crc32c::Mask}, so a CRC of data that holds CRCs is not a CRC of itself).
 */
public final class TfRecord {

    private static final int MASK_DELTA = 0xa282ead8;

    private TfRecord() {}

    /** The masked CRC32C of {@code bytes[offset, offset + length)}. */
    public static int maskedCrc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + MASK_DELTA;
    }

    /** {@code data} framed as one record. */
    public static byte[] frame(byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(data.length);
        out.putInt(maskedCrc(out.array(), 0, 8));
        out.put(data);
        out.putInt(maskedCrc(data, 0, data.length));
        return out.array();
    }

    public static void write(OutputStream out, byte[] data) throws IOException {
        out.write(frame(data));
    }

    /**
     * The records of {@code bytes}, in order, up to the first that is cut short or fails a CRC (a
     * process killed mid-write leaves at most one such record, at the end).
     */
    public static List<byte[]> readAll(byte[] bytes) {
        List<byte[]> records = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (in.remaining() >= 12) {
            int start = in.position();
            long length = in.getLong();
            if (in.getInt() != maskedCrc(bytes, start, 8) || length < 0 || length > in.remaining() - 4) {
                break;
            }
            byte[] data = new byte[(int) length];
            in.get(data);
            if (in.getInt() != maskedCrc(data, 0, data.length)) {
                break;
            }
            records.add(data);
        }
        return records;
    }

    /** {@code records} framed back to back. */
    public static byte[] frameAll(List<byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        records.forEach(r -> out.writeBytes(frame(r)));
        return out.toByteArray();
    }
}
