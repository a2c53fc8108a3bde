package dev.tlab.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.TensorSource;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face model folder ({@code config.json} and {@code model.safetensors}, or shards named
 * by {@code model.safetensors.index.json}), seen as tlab weights through its family's table of
 * names ({@link HfModel#tensors}): renamed, transposed or concatenated into tlab's fused weights,
 * every tensor memory-mapped and read only when loaded (float16 and bfloat16 as float32). Opening
 * it checks every tensor against {@code config.json} and reports all mismatches at once.
 */
public final class HfFolder implements TensorSource {

    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final HfModel config;
    /** tlab name to where its tensor is: its layout entry and, for each part, the mapped file and the name there. */
    private final Map<String, Located> tensors;

    private record Located(HfTensor layout, List<SafeTensors.Mapped> files, List<String> names) {}

    /** Rows of the token table and head that tlab keeps, or -1 for all. */
    private final int vocabRows;

    private HfFolder(Path dir, HfModel config, Map<String, Located> tensors, int vocabRows) {
        this.dir = dir;
        this.config = config;
        this.tensors = tensors;
        this.vocabRows = vocabRows;
    }

    /**
     * This folder with the token table and head cut to the tokenizer's {@code rows}: Qwen pads its
     * embedding rows to a multiple of 128 beyond the last token id, rows no text can reach.
     */
    public HfFolder withVocabulary(int rows) {
        return new HfFolder(dir, config, tensors, rows);
    }

    private boolean vocabularyTable(String name) {
        return vocabRows >= 0 && (name.equals("wte.weight") || name.equals("head.weight"));
    }

    /** A folder with a {@code config.json} and no tlab {@code state.json}. */
    public static boolean isFolder(Path path) {
        return Files.isRegularFile(path.resolve(Gpt2Config.FILE))
                && !Files.exists(path.resolve(CheckpointDirectory.STATE_FILE));
    }

    /** Reads the config (its family from {@code model_type}), maps the weight files and checks every tensor. */
    public static HfFolder open(Path dir) {
        return open(dir, HfModels.read(dir));
    }

    /** Maps the weight files and checks every tensor's name and shape against {@code config}'s table. */
    public static HfFolder open(Path dir, HfModel config) {
        String prefix = config.prefix();
        // name (without prefix) -> file and name as written
        Map<String, SafeTensors.Mapped> fileOf = new LinkedHashMap<>();
        Map<String, String> written = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (SafeTensors.Mapped file : weightFiles(dir)) {
            for (String name : file.entries().keySet()) {
                String bare = !prefix.isEmpty() && name.startsWith(prefix) ? name.substring(prefix.length()) : name;
                if (written.containsKey(bare)) {
                    problems.add("'" + name + "' appears twice (also as '" + written.get(bare) + "')");
                }
                fileOf.put(bare, file);
                written.put(bare, name);
            }
        }
        Map<String, Located> tensors = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (HfTensor t : config.tensors()) {
            List<SafeTensors.Mapped> files = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (HfTensor.Part part : t.parts()) {
                SafeTensors.Mapped file = fileOf.remove(part.name());
                if (file == null) {
                    missing.add(part.name());
                    continue;
                }
                String name = written.get(part.name());
                long[] shape = file.entries().get(name).shape();
                if (!Arrays.equals(shape, part.shape())) {
                    problems.add("'" + name + "' is " + Arrays.toString(shape) + ", config.json makes it "
                            + Arrays.toString(part.shape()));
                }
                files.add(file);
                names.add(name);
            }
            tensors.put(t.tlab(), new Located(t, files, names));
        }
        fileOf.keySet().removeIf(config::ignored);
        if (!missing.isEmpty()) {
            problems.add(0, "missing " + missing);
        }
        if (!fileOf.isEmpty()) {
            problems.add("tensors " + config.family() + " does not have: " + fileOf.keySet().stream().map(written::get).toList());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(dir + ": the weights do not fit its " + Gpt2Config.FILE + ": " + String.join("; ", problems));
        }
        return new HfFolder(dir, config, tensors, -1);
    }

    public HfModel config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public Map<String, Shape> shapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            long[] shape = t.layout().tlabShape();
            if (vocabularyTable(name)) {
                shape[0] = vocabRows;
            }
            out.put(name, new Shape(shape));
        });
        return out;
    }

    /**
     * The tensor in tlab's layout, as float32: a Conv1D weight comes back transposed (a view; the
     * loader copies it), fused parts concatenated.
     */
    @Override
    public NDArray read(String name, NDManager manager) {
        Located t = tensors.get(name);
        NDList parts = new NDList();
        for (int i = 0; i < t.names().size(); i++) {
            parts.add(t.files().get(i).read(t.names().get(i), manager).toType(DataType.FLOAT32, false));
        }
        NDArray array = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        if (vocabularyTable(name)) {
            array = array.get(new NDIndex(":{}", vocabRows));
        }
        return t.layout().transposed() ? array.transpose() : array;
    }

    /** {@code model.safetensors}, or every shard the index names; a folder with neither is refused. */
    private static List<SafeTensors.Mapped> weightFiles(Path dir) {
        Path single = dir.resolve(WEIGHTS);
        if (Files.isRegularFile(single)) {
            return List.of(SafeTensors.map(single));
        }
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            boolean pickle = Files.isRegularFile(dir.resolve("pytorch_model.bin"));
            throw new ConfigException(dir + ": no " + WEIGHTS + " or " + INDEX
                    + (pickle ? " (only pytorch_model.bin, a pickle tlab does not read; download the safetensors files)" : ""));
        }
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new ConfigException(index + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new ConfigException(index + ": weight_map: expected an object of tensor name to shard file");
        }
        Map<String, SafeTensors.Mapped> shards = new LinkedHashMap<>();
        Map<String, String> shardOf = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            var entry = it.next();
            String shard = entry.getValue().asText();
            Path file = dir.resolve(shard).normalize();
            if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
                throw new ConfigException(index + ": weight_map: '" + entry.getKey() + "' names shard '" + shard
                        + "', which is not a file in " + dir);
            }
            shards.computeIfAbsent(shard, s -> SafeTensors.map(file));
            shardOf.put(entry.getKey(), shard);
        }
        // Each shard must hold exactly what the index says it holds.
        for (var shard : shards.entrySet()) {
            for (String name : shard.getValue().entries().keySet()) {
                if (!shard.getKey().equals(shardOf.get(name))) {
                    throw new ConfigException(index + ": shard '" + shard.getKey() + "' holds '" + name
                            + "', which the index " + (shardOf.containsKey(name) ? "puts in '" + shardOf.get(name) + "'" : "does not list"));
                }
                shardOf.remove(name);
            }
        }
        if (!shardOf.isEmpty()) {
            throw new ConfigException(index + ": tensors listed but in no shard: " + shardOf.keySet());
        }
        return List.copyOf(shards.values());
    }
}
