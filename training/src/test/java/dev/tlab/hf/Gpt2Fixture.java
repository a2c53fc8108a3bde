package dev.tlab.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.WeightLoader;
import dev.tlab.config.ConfigLoader;
import dev.tlab.models.DecoderLM;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The tiny GPT-2 of {@code src/test/resources/gpt2-hf} (made by scripts/gpt2-weights/make_fixture.py):
 * copies of it with renamed or dropped tensors and edited config, and logits of a tlab checkpoint.
 */
final class Gpt2Fixture {

    static final ObjectMapper JSON = new ObjectMapper();

    private Gpt2Fixture() {}

    static Path dir() {
        try {
            return Path.of(Gpt2Fixture.class.getResource("/gpt2-hf/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected() throws IOException {
        return JSON.readTree(dir().resolve("expected.json").toFile());
    }

    /** A copy of the fixture with each tensor renamed by {@code rename} (null drops it). */
    static Path copy(Path into, Function<String, String> rename) throws IOException {
        return copy(into, rename, config -> {});
    }

    static Path copy(Path into, Function<String, String> rename, java.util.function.Consumer<ObjectNode> editConfig)
            throws IOException {
        Files.createDirectories(into);
        ObjectNode config = (ObjectNode) JSON.readTree(dir().resolve("config.json").toFile());
        editConfig.accept(config);
        Files.writeString(into.resolve("config.json"), config.toString());
        writeTensors(into.resolve("model.safetensors"), rename, name -> true);
        return into;
    }

    /** The fixture's tensors that {@code keep} accepts, renamed, written byte for byte. */
    static void writeTensors(Path file, Function<String, String> rename, Predicate<String> keep) throws IOException {
        SafeTensors.Mapped source = SafeTensors.map(dir().resolve("model.safetensors"));
        byte[] all = Files.readAllBytes(source.file());
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        source.entries().forEach((name, e) -> {
            String renamed = rename.apply(name);
            if (renamed != null && keep.test(name)) {
                int from = (int) (source.header().dataStart() + e.begin());
                int to = (int) (source.header().dataStart() + e.end());
                tensors.add(new SafeTensors.Tensor(renamed, e.dtype(), e.shape(), out -> out.write(all, from, to - from)));
            }
        });
        try (OutputStream out = Files.newOutputStream(file)) {
            SafeTensors.write(out, tensors, Map.of("format", "pt"));
        }
    }

    /** Logits {@code [T, vocab]} of a checkpoint's decoder for {@code ids}, rebuilt from its state.json. */
    static float[][] logits(Path runOrCheckpoint, int[] ids) {
        Path checkpoint = CheckpointDirectory.find(runOrCheckpoint);
        var state = CheckpointDirectory.readState(checkpoint);
        var model = ConfigLoader.fromTree(state.config(), "state", List.of()).model()
                .forVocabulary(state.tokenizer().vocabSize());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            DecoderLM lm = DecoderLM.create(model, manager);
            WeightLoader.loadWeights(checkpoint, lm.namedParameters(), manager);
            long[] tokens = java.util.Arrays.stream(ids).asLongStream().toArray();
            NDArray out = lm.forward(new ParameterStore(manager, false), manager.create(tokens).reshape(1, ids.length), false);
            float[] flat = out.toFloatArray();
            int vocab = model.vocabSize();
            float[][] rows = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                rows[t] = java.util.Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
            }
            return rows;
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** Largest difference between {@code logits} and the independent ones of expected.json, at its columns. */
    static double maxDifference(float[][] logits, JsonNode expected) {
        int[] columns = ints(expected.get("columns"));
        double worst = 0;
        for (int t = 0; t < logits.length; t++) {
            for (int c = 0; c < columns.length; c++) {
                worst = Math.max(worst, Math.abs(logits[t][columns[c]] - expected.get("logits").get(t).get(c).asDouble()));
            }
        }
        return worst;
    }

    static void assertArgmax(float[][] logits, JsonNode expected) {
        int[] argmax = new int[logits.length];
        for (int t = 0; t < logits.length; t++) {
            int best = 0;
            for (int v = 1; v < logits[t].length; v++) {
                if (logits[t][v] > logits[t][best]) {
                    best = v;
                }
            }
            argmax[t] = best;
        }
        assertArrayEquals(ints(expected.get("argmax")), argmax);
    }

    static void assertSameLogits(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        for (int t = 0; t < a.length; t++) {
            assertArrayEquals(a[t], b[t], 0f, "bit-identical logits at position " + t);
        }
    }
}
