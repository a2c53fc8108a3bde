package dev.tlab.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.TensorSource;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.models.ModelConfig;
import dev.tlab.positional.PositionalKind;
import dev.tlab.tokenize.HfTokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code tlab export --format hf}: a checkpoint written as the Hugging Face folder of the family
 * that expresses it: GPT-2 for learned positions (LayerNorm, GELU, biases, tied head), otherwise
 * Llama, Qwen2 (q/k/v biases alone) or Qwen3 (QK-norm) for RoPE + SwiGLU + RMSNorm + pre-norm.
 * The folder holds {@code config.json}, the weights in float32 under the family's names ({@code
 * model.safetensors}, or shards with {@code model.safetensors.index.json} above {@link
 * #SHARD_BYTES}), {@code generation_config.json} and the tokenizer's files; {@code
 * AutoModelForCausalLM.from_pretrained} loads it. Streamed tensor by tensor from the memory-mapped
 * checkpoint, through the same table of names the import reads.
 */
public final class HfExport {

    /** Weights beyond this are split into shards, as {@code save_pretrained} does. */
    public static final long SHARD_BYTES = 5_000_000_000L;
    public static final String WEIGHTS = HfFolder.WEIGHTS;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfExport() {}

    /**
     * @param path a run directory (its newest complete checkpoint) or one checkpoint
     * @param out the folder to write; it must not hold a model already
     * @param say hears what was written
     */
    public static void run(Path path, Path out, Consumer<String> say) {
        run(path, out, SHARD_BYTES, say);
    }

    /** {@link #run} with shards of at most {@code shardBytes} (a tensor larger than that gets a shard of its own). */
    public static void run(Path path, Path out, long shardBytes, Consumer<String> say) {
        run(path, out, shardBytes, null, say);
    }

    /**
     * {@link #run(Path, Path, long, Consumer)} writing {@code merged} in place of the checkpoint's
     * own weights: a LoRA run's base with its adapter merged in (see {@code tlab export --merge}).
     *
     * @param merged the weights by tlab name, or null for the checkpoint's file
     */
    public static void run(Path path, Path out, long shardBytes, TensorSource merged, Consumer<String> say) {
        Path checkpoint = CheckpointDirectory.find(path);
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        if (state.base() != null && merged == null) {
            throw new ConfigException("--format hf: " + checkpoint + " holds a LoRA adapter over " + state.base().path()
                    + "; export the adapter with --format peft, or the base with the adapter merged in with --format hf --merge");
        }
        RunConfig run = ConfigLoader.fromTree(state.config(), checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(),
                List.of());
        ModelConfig model = run.model().forVocabulary(state.tokenizer().vocabSize());
        String kind = state.tokenizer().kind();
        HfModel family = family(model, run.tree().get("model"), kind, state.tokenizer().vocabSize());
        for (String existing : List.of(HfModels.CONFIG, WEIGHTS, HfFolder.INDEX)) {
            if (Files.exists(out.resolve(existing))) {
                throw new ConfigException(out + " already has " + existing + "; export into a new or empty folder");
            }
        }
        TensorSource weights = merged != null ? merged
                : TensorSource.of(SafeTensors.map(checkpoint.resolve(CheckpointDirectory.MODEL_FILE)));
        var shapes = weights.shapes();
        List<HfTensor> layout = family.tensors();
        List<String> problems = new ArrayList<>();
        for (HfTensor t : layout) {
            var shape = shapes.get(t.tlab());
            if (shape == null) {
                problems.add("'" + t.tlab() + "' is missing");
            } else if (!Arrays.equals(shape.getShape(), t.tlabShape())) {
                problems.add("'" + t.tlab() + "' is " + Arrays.toString(shape.getShape()) + ", expected "
                        + Arrays.toString(t.tlabShape()));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(weights.describe() + " does not fit its config: " + String.join("; ", problems));
        }
        Tokenizer tokenizer = Tokenizers.load(kind, state.tokenizer().vocabSize(), state.tokenizer().fingerprint(),
                state.vocabulary(), checkpoint);
        List<String> written = new ArrayList<>();
        try {
            Files.createDirectories(out);
            written.addAll(writeWeights(out, family, weights, shardBytes));
            written.addAll(writeTokenizer(checkpoint, kind, tokenizer, out));
            String config = family instanceof Gpt2Config gpt2 ? gpt2.json(model.dropout(), tokenizer.documentSeparator())
                    : ((LlamaFamily) family).json(beginOfText(tokenizer), endOfText(tokenizer));
            DurableFiles.writeSynced(out.resolve(HfModels.CONFIG), o -> o.write(config.getBytes(StandardCharsets.UTF_8)));
            written.add(0, HfModels.CONFIG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
        say.accept("exported " + checkpoint + " (step " + state.step() + ")" + (merged != null ? " with its LoRA adapter merged in" : "")
                + " as " + family.family() + " to " + out + ": "
                + String.join(", ", written) + (kind.equals("gpt2")
                ? "; the tokenizer is GPT-2's own (data.tokenizer gpt2), so no tokenizer files are written:"
                        + " load it with GPT2TokenizerFast.from_pretrained(\"openai-community/gpt2\")" : ""));
    }

    /**
     * The family that expresses the model: GPT-2 for learned positions, the Llama family for RoPE,
     * each refusing by key what it cannot express.
     */
    public static HfModel family(ModelConfig model, com.fasterxml.jackson.databind.JsonNode modelTree, String tokenizerKind,
            int vocabSize) {
        if (model.positional() != PositionalKind.ROPE) {
            return Gpt2Config.of(model, tokenizerKind);
        }
        if (tokenizerKind.equals("char")) {
            throw new ConfigException("data.tokenizer is char (a character vocabulary has no tokenizer file a Hugging Face"
                    + " folder could carry; export runs trained with bpe or hf)");
        }
        if (tokenizerKind.equals("gpt2")) {
            throw new ConfigException("data.tokenizer is gpt2 with model.positional rope: a Llama-family folder carries its"
                    + " tokenizer.json, and GPT-2's ranks are built into tlab; train with bpe or hf to export this model");
        }
        return LlamaFamily.fromRun(modelTree, vocabSize);
    }

    /**
     * The weights in the family's names and layout, float32: fused tensors split into their parts,
     * Conv1D weights transposed back; one file, or shards and an index above {@code shardBytes}.
     */
    static List<String> writeWeights(Path out, HfModel family, TensorSource source, long shardBytes) throws IOException {
        // Each part: its tlab tensor, the rows it takes (offset, count) and its bytes.
        record Part(HfTensor tensor, HfTensor.Part part, long offset) {
            long bytes() {
                return Arrays.stream(part.shape()).reduce(4, (a, b) -> a * b);
            }
        }
        List<Part> parts = new ArrayList<>();
        for (HfTensor t : family.tensors()) {
            long offset = 0;
            for (HfTensor.Part p : t.parts()) {
                parts.add(new Part(t, p, offset));
                offset += p.shape()[0];
            }
        }
        List<List<Part>> shards = new ArrayList<>();
        long size = 0;
        long total = 0;
        for (Part p : parts) {
            if (shards.isEmpty() || (size > 0 && size + p.bytes() > shardBytes)) {
                shards.add(new ArrayList<>());
                size = 0;
            }
            shards.get(shards.size() - 1).add(p);
            size += p.bytes();
            total += p.bytes();
        }
        List<String> names = new ArrayList<>();
        Map<String, String> shardOf = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            for (int s = 0; s < shards.size(); s++) {
                String file = shards.size() == 1 ? WEIGHTS
                        : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
                List<SafeTensors.Tensor> tensors = new ArrayList<>();
                for (Part p : shards.get(s)) {
                    String name = family.prefix() + p.part().name();
                    shardOf.put(name, file);
                    tensors.add(new SafeTensors.Tensor(name, "F32", p.part().shape(), stream -> {
                        try (NDManager scratch = manager.newSubManager()) {
                            NDArray array = source.read(p.tensor().tlab(), scratch);
                            if (p.tensor().transposed()) {
                                array = array.transpose();
                            } else if (p.tensor().parts().size() > 1) {
                                array = array.get(new NDIndex("{}:{}", p.offset(), p.offset() + p.part().shape()[0]));
                            }
                            stream.write(HfImport.float32Bytes(array));
                        }
                    }));
                }
                // transformers refuses a safetensors file whose metadata does not say "pt".
                DurableFiles.writeSynced(out.resolve(file), o -> SafeTensors.write(o, tensors, Map.of("format", "pt")));
                names.add(file);
            }
        }
        if (shards.size() > 1) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            shardOf.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> map.put(e.getKey(), e.getValue()));
            DurableFiles.writeSynced(out.resolve(HfFolder.INDEX), o -> JSON.writeValue(o, index));
            names.add(0, HfFolder.INDEX + " (" + shards.size() + " shards)");
            names.subList(1, names.size()).clear();
        }
        return names;
    }

    /**
     * tokenizer.json and its companions from the checkpoint (a tlab-trained BPE gets a minimal
     * tokenizer_config.json), and generation_config.json (the folder's own, or one naming BOS and EOS).
     */
    private static List<String> writeTokenizer(Path checkpoint, String kind, Tokenizer tokenizer, Path out) throws IOException {
        List<String> written = new ArrayList<>();
        if (kind.equals("gpt2") || kind.equals("char")) {
            return written;
        }
        Files.copy(checkpoint.resolve(Tokenizer.FILE), out.resolve(Tokenizer.FILE));
        written.add(Tokenizer.FILE);
        Map<String, byte[]> companions = tokenizer instanceof HfTokenizer hf ? hf.companions() : Map.of();
        for (var companion : companions.entrySet()) {
            Files.write(out.resolve(companion.getKey()), companion.getValue());
            written.add(companion.getKey());
        }
        if (!companions.containsKey("tokenizer_config.json")) {
            ObjectNode config = JSON.createObjectNode();
            config.put("tokenizer_class", "PreTrainedTokenizerFast");
            if (tokenizer.documentSeparator() >= 0) {
                String eos = tokenizer.decode(new int[] {tokenizer.documentSeparator()});
                config.put("eos_token", eos);
            }
            Files.writeString(out.resolve("tokenizer_config.json"), JSON.writeValueAsString(config) + "\n");
            written.add("tokenizer_config.json");
        }
        if (!companions.containsKey("generation_config.json")) {
            ObjectNode generation = JSON.createObjectNode();
            if (beginOfText(tokenizer) >= 0) {
                generation.put("bos_token_id", beginOfText(tokenizer));
            }
            List<Integer> eos = endOfText(tokenizer);
            if (eos.size() == 1) {
                generation.put("eos_token_id", eos.get(0));
            } else if (!eos.isEmpty()) {
                ArrayNode list = generation.putArray("eos_token_id");
                eos.forEach(list::add);
            }
            Files.writeString(out.resolve("generation_config.json"), JSON.writeValueAsString(generation) + "\n");
            written.add("generation_config.json");
        }
        return written;
    }

    private static int beginOfText(Tokenizer tokenizer) {
        return tokenizer.beginOfText();
    }

    /** The tokens that end a text: the tokenizer's, else its document separator. */
    private static List<Integer> endOfText(Tokenizer tokenizer) {
        int[] eos = tokenizer.endOfText();
        if (eos.length == 0 && tokenizer.documentSeparator() >= 0) {
            return List.of(tokenizer.documentSeparator());
        }
        return Arrays.stream(eos).boxed().toList();
    }
}
