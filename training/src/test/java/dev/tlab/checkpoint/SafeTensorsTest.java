package dev.tlab.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file layout against the safetensors spec, and every kind of damage as a named error. */
class SafeTensorsTest {

    @TempDir Path dir;
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager(ai.djl.Device.cpu());
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private byte[] encode(Map<String, NDArray> tensors) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(out, tensors, Map.of("format", "pt"));
        return out.toByteArray();
    }

    private Map<String, NDArray> sample() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("wte.weight", manager.arange(12f).reshape(3, 4));
        tensors.put("h.0.ln1.bias", manager.create(new float[] {-1.5f, 2.25f}));
        tensors.put("scalar", manager.create(7f));
        return tensors;
    }

    @Test
    void layoutFollowsTheSpec() throws IOException {
        byte[] bytes = encode(sample());
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("pt", header.get("__metadata__").get("format").asText());

        // Offsets, in name order, tile the data exactly; each tensor is its float32 values, little-endian.
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(names::add);
        names.remove("__metadata__");
        assertEquals(List.of("h.0.ln1.bias", "scalar", "wte.weight"), names);
        long expected = 0;
        Map<String, NDArray> original = sample();
        for (String name : names) {
            JsonNode entry = header.get(name);
            assertEquals("F32", entry.get("dtype").asText());
            long begin = entry.get("data_offsets").get(0).asLong();
            long end = entry.get("data_offsets").get(1).asLong();
            assertEquals(expected, begin, name);
            long[] shape = new ObjectMapper().convertValue(entry.get("shape"), long[].class);
            assertArrayEquals(original.get(name).getShape().getShape(), shape, name);
            assertEquals(new Shape(shape).size() * 4, end - begin, name);
            float[] values = new float[(int) ((end - begin) / 4)];
            ByteBuffer.wrap(bytes, (int) (8 + n + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(values);
            assertArrayEquals(original.get(name).toFloatArray(), values, name);
            expected = end;
        }
        assertEquals(bytes.length, 8 + n + expected, "the data fills the rest of the file");
    }

    @Test
    void roundTripsAndReadsTheHeaderAlone() throws IOException {
        Path file = Files.write(dir.resolve("t.safetensors"), encode(sample()));
        Map<String, NDArray> back = SafeTensors.read(file, manager);
        for (var entry : sample().entrySet()) {
            assertEquals(entry.getValue().getShape(), back.get(entry.getKey()).getShape());
            assertArrayEquals(entry.getValue().toFloatArray(), back.get(entry.getKey()).toFloatArray());
        }
        var header = SafeTensors.header(file);
        assertEquals(List.of("h.0.ln1.bias", "scalar", "wte.weight"), header.entries().stream().map(SafeTensors.Entry::name).toList());
        assertEquals(12, header.byName().get("wte.weight").count());
    }

    @Test
    void readsFilesFromOtherWritersTooInAnyKeyOrder() throws IOException {
        // As Python writes them: keys in any order, no padding, no metadata.
        String json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).putLong(3L);
        Path file = Files.write(dir.resolve("py.safetensors"), file(json, data.array()));
        Map<String, NDArray> back = SafeTensors.read(file, manager);
        assertEquals(2f, back.get("b").getFloat());
        assertEquals(3L, back.get("a").getLong());
        assertEquals(1f, back.get("c").getFloat());
    }

    @Test
    void damageIsANamedErrorNeverACrash() throws IOException {
        byte[] good = encode(sample());
        long n = ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Map<String, byte[]> damaged = new LinkedHashMap<>();
        damaged.put("truncated data", Arrays.copyOf(good, good.length - 5));
        damaged.put("truncated header", Arrays.copyOf(good, 20));
        damaged.put("shorter than 8 bytes", Arrays.copyOf(good, 5));
        damaged.put("empty", new byte[0]);
        damaged.put("trailing bytes", Arrays.copyOf(good, good.length + 4));
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        damaged.put("absurd header length", huge);
        byte[] garbage = good.clone();
        garbage[8] = 'x';
        damaged.put("header not JSON", garbage);
        damaged.put("overlapping offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]));
        damaged.put("gap", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]));
        damaged.put("shape and offsets disagree", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]));
        damaged.put("unknown dtype", file("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16]));
        damaged.put("negative shape", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]));
        damaged.put("duplicate name", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]));
        damaged.put("bf16, which tlab cannot load", file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]));
        assertTrue(n > 0);
        for (var entry : damaged.entrySet()) {
            Path file = Files.write(dir.resolve("bad.safetensors"), entry.getValue());
            var e = assertThrows(ConfigException.class, () -> SafeTensors.read(file, manager), entry.getKey());
            assertTrue(e.getMessage().startsWith(file.toString()), entry.getKey() + ": " + e.getMessage());
            if (!entry.getKey().startsWith("bf16")) {
                assertTrue(e.getMessage().contains("corrupt or truncated safetensors file"), entry.getKey() + ": " + e.getMessage());
                assertThrows(ConfigException.class, () -> SafeTensors.header(file), entry.getKey());
            }
        }
    }

    private static byte[] file(String json, byte[] data) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(data);
        return out.array();
    }


    @Test
    void aMappedTensorIsTheFilesValuesAndOutlivesTheMap() throws IOException {
        Path file = dir.resolve("mapped.safetensors");
        Files.write(file, encode(sample()));
        SafeTensors.Mapped mapped = SafeTensors.map(file);
        assertArrayEquals(new long[] {3, 4}, mapped.entries().get("wte.weight").shape());
        NDArray read = mapped.read("wte.weight", manager);
        assertArrayEquals(manager.arange(12f).toFloatArray(), read.toFloatArray());
        // Rewriting the file in place changes the mapped pages; the array must be a copy.
        byte[] zeros = new byte[(int) Files.size(file)];
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(zeros), 0);
        }
        System.gc();
        assertArrayEquals(manager.arange(12f).toFloatArray(), read.toFloatArray());
    }

    @Test
    void streamedTensorsMustWriteWhatTheirHeaderAnnounces() {
        var tensor = new SafeTensors.Tensor("x", "F32", new long[] {2}, out -> out.write(new byte[4]));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SafeTensors.write(new ByteArrayOutputStream(), List.of(tensor), Map.of()));
        assertTrue(e.getMessage().contains("'x' wrote 4 bytes"), e.getMessage());
    }
}
