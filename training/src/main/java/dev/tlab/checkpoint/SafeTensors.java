package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (huggingface/safetensors), written and read without trusting the file:
 *
 * <pre>
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..],
 *             "data_offsets": [begin, end]}, ...}, padded with spaces
 *   the rest  tensor bytes, little-endian, row-major; offsets relative to the end of the header
 * </pre>
 *
 * Tensors are written in name order, back to back, and the header is padded so the data starts
 * 8-byte aligned, as the reference implementation does. Reading checks every field, that the
 * offsets tile the data exactly and that the data fills the file, so a truncated or corrupt file
 * is a {@link ConfigException} naming it, never a huge allocation or a native crash.
 */
public final class SafeTensors {

    /** Headers beyond this are refused, as the reference implementation does. */
    static final long MAX_HEADER = 100_000_000;

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Map<String, Integer> DTYPE_BYTES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);

    private SafeTensors() {}

    /** One tensor in the header; offsets are relative to the first data byte. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {

        public long count() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public Shape djlShape() {
            return new Shape(shape);
        }
    }

    /** A validated header: metadata, entries in offset order, and where the data starts. */
    public record Header(Map<String, String> metadata, List<Entry> entries, long dataStart) {

        public Map<String, Entry> byName() {
            Map<String, Entry> out = new LinkedHashMap<>();
            entries.forEach(e -> out.put(e.name(), e));
            return out;
        }
    }

    /** Writes {@code tensors} (name to array) with optional string metadata. */
    public static void write(OutputStream out, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        write(out, tensors(tensors), metadata);
    }

    /** Arrays as tensors to {@link #write(OutputStream, List, Map) write}. */
    public static List<Tensor> tensors(Map<String, NDArray> arrays) {
        List<Tensor> list = new ArrayList<>();
        arrays.forEach((name, array) -> list.add(new Tensor(name, array.getDataType().asSafetensors(),
                array.getShape().getShape(), o -> o.write(array.toByteArray()))));
        return list;
    }

    /** Writes the bytes of one tensor, in the layout its header entry announces. */
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    /** One tensor to write: its header entry, and its bytes produced only when written. */
    public record Tensor(String name, String dtype, long[] shape, TensorData data) {

        /** Its size in the file, header entry aside. */
        public long bytes() {
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            return count * DTYPE_BYTES.getOrDefault(dtype, 4);
        }
    }

    /**
     * Writes {@code tensors} in name order, each one's bytes asked for only when its turn comes, so
     * a file larger than memory can be written one tensor at a time.
     */
    public static void write(OutputStream out, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("safetensors writing needs a little-endian machine");
        }
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(Tensor::name));
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        long[] sizes = new long[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            Tensor tensor = sorted.get(i);
            long count = 1;
            for (long d : tensor.shape()) {
                count *= d;
            }
            long bytes = count * DTYPE_BYTES.get(tensor.dtype());
            sizes[i] = bytes;
            ObjectNode node = header.putObject(tensor.name());
            node.put("dtype", tensor.dtype());
            var shape = node.putArray("shape");
            for (long d : tensor.shape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        java.util.Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(headerBytes);
        for (int i = 0; i < sorted.size(); i++) {
            CountingStream counted = new CountingStream(out);
            sorted.get(i).data().writeTo(counted);
            if (counted.count != sizes[i]) {
                throw new IllegalStateException("tensor '" + sorted.get(i).name() + "' wrote " + counted.count
                        + " bytes, its header entry announces " + sizes[i]);
            }
        }
    }

    /** Counts what passes through, so a tensor that writes the wrong size is caught at once. */
    private static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /**
     * A safetensors file whose tensors are read one at a time from a memory map: a file of several
     * gigabytes never passes through the Java heap, and only the tensor being read is resident
     * twice (its pages and its array).
     */
    public record Mapped(Path file, Header header) {

        public Map<String, Entry> entries() {
            return header.byName();
        }

        /**
         * The tensor {@code name}, created in {@code manager}. A bfloat16 tensor comes back as
         * float32 (exactly: bfloat16 is float32's upper half), since DJL's default PyTorch library
         * cannot hold bfloat16.
         */
        public NDArray read(String name, NDManager manager) {
            Entry e = header.byName().get(name);
            if (e == null) {
                throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
            }
            if (!e.dtype().equals("BF16")) {
                refuseUnloadable(file, e);
            }
            long length = e.end() - e.begin();
            if (length > Integer.MAX_VALUE) {
                throw new ConfigException(file + ": tensor '" + name + "' has " + length
                        + " bytes, more than tlab maps at once (2 GiB)");
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + e.begin(), length)
                        .order(ByteOrder.LITTLE_ENDIAN);
                // DJL's PyTorch engine wraps a direct buffer without copying it (torch::from_blob), and
                // the map is unmapped once the collector finds it unreachable: copy while it is held.
                boolean bf16 = e.dtype().equals("BF16");
                ByteBuffer values = bf16 ? widenBfloat16(data) : data;
                NDArray array;
                try (NDArray view = manager.create(values, e.djlShape(),
                        bf16 ? DataType.FLOAT32 : DataType.fromSafetensors(e.dtype()))) {
                    array = view.duplicate();
                } finally {
                    java.lang.ref.Reference.reachabilityFence(values);
                    java.lang.ref.Reference.reachabilityFence(data);
                }
                array.setName(name);
                return array;
            } catch (IOException ex) {
                throw new ConfigException(file + ": cannot read (" + ex.getMessage() + ")", ex);
            }
        }
    }

    /** bfloat16 values as float32 ones, in a direct buffer: each is the upper 16 bits of its float32. */
    static ByteBuffer widenBfloat16(ByteBuffer bf16) {
        java.nio.ShortBuffer in = bf16.asShortBuffer();
        ByteBuffer out = ByteBuffer.allocateDirect(in.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
        java.nio.IntBuffer ints = out.asIntBuffer();
        while (in.hasRemaining()) {
            ints.put((in.get() & 0xFFFF) << 16);
        }
        return out;
    }

    /** Checks the header of {@code file} and maps it for reading tensor by tensor. */
    public static Mapped map(Path file) {
        return new Mapped(file, header(file));
    }

    private static void refuseUnloadable(Path file, Entry e) {
        if (e.dtype().equals("BF16") || e.dtype().equals("I16")) {
            throw new ConfigException(file + ": tensor '" + e.name() + "' has dtype " + e.dtype()
                    + ", which tlab cannot load; convert it to F32");
        }
    }

    /** Reads and checks the header only: cheap, whatever the size of the tensors. */
    public static Header header(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, length, 0);
            long n = checkedHeaderLength(file, size, size >= 8 ? length.getLong(0) : -1);
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(channel, json, 8);
            return parseHeader(file, json.array(), size);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Every tensor of the file, by name in header order, created in {@code manager}.
     *
     * @throws ConfigException naming the file if it is not valid safetensors or holds a dtype
     *     tlab cannot load (BF16 would abort the native library on CPU)
     */
    public static Map<String, NDArray> read(Path file, NDManager manager) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        long n = checkedHeaderLength(file, bytes.length,
                bytes.length >= 8 ? ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() : -1);
        byte[] json = java.util.Arrays.copyOfRange(bytes, 8, 8 + (int) n);
        Header header = parseHeader(file, json, bytes.length);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Entry e : header.entries()) {
            refuseUnloadable(file, e);
            ByteBuffer data = ByteBuffer.wrap(bytes, (int) (header.dataStart() + e.begin()), (int) (e.end() - e.begin()))
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            NDArray array = manager.create(data, e.djlShape(), DataType.fromSafetensors(e.dtype()));
            array.setName(e.name());
            out.put(e.name(), array);
        }
        return out;
    }

    private static long checkedHeaderLength(Path file, long fileSize, long n) {
        if (fileSize < 8) {
            throw invalid(file, "the file has " + fileSize + " bytes, fewer than the 8-byte header length (truncated?)");
        }
        if (n < 2 || n > MAX_HEADER || n > fileSize - 8) {
            throw invalid(file, "header length " + Long.toUnsignedString(n) + " does not fit the file's "
                    + fileSize + " bytes (truncated or not safetensors)");
        }
        return n;
    }

    private static Header parseHeader(Path file, byte[] json, long fileSize) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8).stripTrailing());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw invalid(file, "the header is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw invalid(file, "the header is not valid JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw invalid(file, "the header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var field = it.next();
            if (field.getKey().equals("__metadata__")) {
                if (!field.getValue().isObject()) {
                    throw invalid(file, "__metadata__ must be an object of strings");
                }
                field.getValue().fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw invalid(file, "__metadata__." + m.getKey() + " must be a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            entries.add(entry(file, field.getKey(), field.getValue()));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin() != expected) {
                throw invalid(file, "tensor '" + e.name() + "' starts at " + e.begin() + ", expected " + expected
                        + " (offsets must tile the data without gaps or overlaps)");
            }
            expected = e.end();
        }
        long dataStart = 8L + json.length;
        long data = fileSize - dataStart;
        if (data != expected) {
            throw invalid(file, "the header describes " + expected + " bytes of tensor data but the file holds "
                    + data + (data < expected ? " (truncated)" : " (trailing bytes)"));
        }
        return new Header(metadata, List.copyOf(entries), dataStart);
    }

    private static Entry entry(Path file, String name, JsonNode node) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw invalid(file, where + " is not an object");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual() || !DTYPE_BYTES.containsKey(dtype.asText())) {
            throw invalid(file, where + " has dtype " + dtype + "; known: " + new TreeMap<>(DTYPE_BYTES).keySet());
        }
        long[] shape = longs(file, where + " shape", node.get("shape"), -1);
        long[] offsets = longs(file, where + " data_offsets", node.get("data_offsets"), 2);
        if (offsets[1] < offsets[0]) {
            throw invalid(file, where + " ends before it begins: data_offsets " + java.util.Arrays.toString(offsets));
        }
        Entry entry = new Entry(name, dtype.asText(), shape, offsets[0], offsets[1]);
        long bytes;
        try {
            bytes = Math.multiplyExact(entry.count(), DTYPE_BYTES.get(entry.dtype()));
        } catch (ArithmeticException e) {
            throw invalid(file, where + " is impossibly large");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw invalid(file, where + ": shape " + java.util.Arrays.toString(shape) + " of " + entry.dtype()
                    + " needs " + bytes + " bytes, data_offsets give " + (offsets[1] - offsets[0]));
        }
        return entry;
    }

    private static long[] longs(Path file, String what, JsonNode node, int count) {
        if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
            throw invalid(file, what + " must be a list" + (count >= 0 ? " of " + count : "") + " of integers, got " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw invalid(file, what + " must hold non-negative integers, got " + node);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                break;
            }
        }
    }

    private static ConfigException invalid(Path file, String why) {
        return new ConfigException(file + ": corrupt or truncated safetensors file: " + why);
    }
}
