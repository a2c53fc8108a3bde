package dev.tlab.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.Biases;
import dev.tlab.layers.FfnKind;
import dev.tlab.layers.Gelu;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelType;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import dev.tlab.tokenize.Gpt2Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hugging Face GPT-2's {@code config.json}: the settings of its one architecture (pre-LN
 * LayerNorm, learned positions, GELU MLP, biases everywhere, head tied to {@code wte}). Read and
 * checked on import; made from a tlab model, which must be that architecture, on export.
 *
 * @param inner the MLP's hidden width ({@code n_inner}; null in the file means 4 x n_embd)
 */
public record Gpt2Config(int layers, int heads, int dModel, int positions, int vocabSize, double layerNormEps,
        Gelu gelu, int inner) implements HfModel {

    public static final String FILE = "config.json";

    /** Hugging Face activation names and the GELU each one is. */
    private static final Map<String, Gelu> ACTIVATIONS = Map.of(
            "gelu_new", Gelu.TANH, "gelu_pytorch_tanh", Gelu.TANH, "gelu_fast", Gelu.TANH, "gelu", Gelu.ERF);
    /**
     * Model keys {@link #of} lets through: those {@code config.json} carries, and those that only act
     * together with a setting GPT-2 lacks (refused by that setting's key) or do not touch the
     * weights. Every other key has a GPT-2 value and any other value of it is refused by name;
     * {@code Gpt2ExportTest} checks that for every key.
     */
    static final Set<String> LET_THROUGH = Set.of(
            "layers", "heads", "d_model", "d_ff", "gelu", "context", "dropout", "norm_eps", // carried
            "encoder_layers", // only with data.task of an encoder_decoder
            "rope_base", "rope_fraction", // only with positional rope
            "relative_buckets", "relative_max_distance", // only with positional relative
            "attention"); // how scores are computed, not what
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Reads {@code dir/config.json}. Settings GPT-2's layout in tlab cannot express are refused, all
     * of them in one message naming each key.
     */
    public static Gpt2Config read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read a GPT-2 config (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": expected a JSON object");
        }
        List<String> problems = new ArrayList<>();
        int layers = integer(root, "n_layer", problems);
        int heads = integer(root, "n_head", problems);
        int dModel = integer(root, "n_embd", problems);
        int positions = integer(root, "n_positions", problems);
        int vocab = integer(root, "vocab_size", problems);
        double eps = root.path("layer_norm_epsilon").asDouble(1e-5);
        String activation = root.path("activation_function").asText("gelu_new");
        Gelu gelu = ACTIVATIONS.get(activation);
        if (gelu == null) {
            problems.add("activation_function '" + activation + "' (tlab has gelu_new, gelu_pytorch_tanh, gelu_fast: tanh GELU; gelu: exact)");
        }
        JsonNode innerNode = root.path("n_inner");
        int inner = innerNode.isMissingNode() || innerNode.isNull() ? 4 * Math.max(dModel, 0) : innerNode.asInt(-1);
        if (inner < 1) {
            problems.add("n_inner " + innerNode + " (expected a positive width or null)");
        }
        if (root.has("model_type") && !root.path("model_type").asText().equals("gpt2")) {
            problems.add("model_type '" + root.path("model_type").asText() + "' (tlab imports gpt2)");
        }
        require(root, "scale_attn_weights", true, "scores are scaled by 1/sqrt(head size)", problems);
        require(root, "scale_attn_by_inverse_layer_idx", false, "no per-layer attention scaling", problems);
        require(root, "add_cross_attention", false, "a decoder without cross-attention", problems);
        require(root, "tie_word_embeddings", true, "the head is tied to wte", problems);
        if (heads > 0 && dModel > 0 && dModel % heads != 0) {
            problems.add("n_embd " + dModel + " is not divisible by n_head " + heads);
        }
        if (!(eps > 0 && eps < 1)) {
            problems.add("layer_norm_epsilon " + eps + " (expected in (0, 1))");
        }
        if (vocab > 0 && vocab != Gpt2Tokenizer.VOCAB_SIZE) {
            problems.add("vocab_size " + vocab + " (the gpt2 tokenizer has " + Gpt2Tokenizer.VOCAB_SIZE + " tokens)");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(file + ": GPT-2 settings tlab cannot import: " + String.join("; ", problems));
        }
        return new Gpt2Config(layers, heads, dModel, positions, vocab, eps, gelu, inner);
    }

    @Override
    public String family() {
        return "GPT-2";
    }

    @Override
    public List<HfTensor> tensors() {
        return Gpt2Layout.tensors(this);
    }

    @Override
    public String prefix() {
        return Gpt2Layout.PREFIX;
    }

    @Override
    public boolean ignored(String hfName) {
        return Gpt2Layout.ignored(hfName);
    }

    /**
     * The GPT-2 config of a tlab model, refusing, by config key, every setting GPT-2's architecture
     * cannot express.
     *
     * @param tokenizerKind the checkpoint's {@code data.tokenizer}
     */
    public static Gpt2Config of(ModelConfig model, String tokenizerKind) {
        List<String> problems = new ArrayList<>();
        if (model.type() != ModelType.DECODER) {
            problems.add("data.task trains an " + model.type() + " (GPT-2 is a decoder: data.task lm)");
        }
        if (model.keyValueHeads() != model.heads()) {
            problems.add("model.kv_heads is " + model.kvHeads() + " (GPT-2 has a key/value head per query head: 0)");
        }
        if ((long) model.headSize() * model.heads() != model.dModel()) {
            problems.add("model.head_dim is " + model.headDim() + " (GPT-2's heads split model.d_model: 0)");
        }
        if (model.qkNorm()) {
            problems.add("model.qk_norm is true (GPT-2 has no norm on queries and keys)");
        }
        if (model.positional() != PositionalKind.LEARNED) {
            problems.add("model.positional is " + model.positional() + " (GPT-2 has learned positions)");
        }
        if (model.norm() != NormType.LAYERNORM) {
            problems.add("model.norm is " + model.norm() + " (GPT-2 has layernorm)");
        }
        if (model.normPlacement() != NormPlacement.PRE) {
            problems.add("model.norm_placement is " + model.normPlacement() + " (GPT-2 is pre)");
        }
        if (model.ffn() != FfnKind.GELU) {
            problems.add("model.ffn is " + model.ffn() + " (GPT-2 has gelu)");
        }
        if (!model.tieEmbeddings()) {
            problems.add("model.tie_embeddings is false (GPT-2 ties its head to wte)");
        }
        if (!model.bias().equals(Biases.ALL)) {
            problems.add("model.bias is " + model.bias() + " (GPT-2 has biases everywhere: true)");
        }
        if (tokenizerKind.equals("char")) {
            problems.add("data.tokenizer is char (a character vocabulary has no tokenizer file a GPT-2 folder could carry;"
                    + " export runs trained with gpt2, bpe or hf)");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("GPT-2's architecture cannot express this model: " + String.join("; ", problems));
        }
        return new Gpt2Config(model.layers(), model.heads(), model.dModel(), model.context(), model.vocabSize(),
                model.normEps(), model.gelu(), model.ffHidden());
    }

    /**
     * The run config this GPT-2 is in tlab's keys: the {@code model} section and {@code
     * data.tokenizer: gpt2}. Dropout is 0 (GPT-2's 0.1 is a training setting; a fine-tune sets its own).
     */
    @Override
    public ObjectNode runTree() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("layers", layers);
        model.put("heads", heads);
        model.put("d_model", dModel);
        model.put("d_ff", inner == 4 * dModel ? 0 : inner);
        model.put("ffn", FfnKind.GELU.toString());
        model.put("gelu", gelu.toString());
        model.put("context", positions);
        model.put("dropout", 0.0);
        model.put("norm_placement", NormPlacement.PRE.toString());
        model.put("norm", NormType.LAYERNORM.toString());
        model.put("norm_eps", layerNormEps);
        model.put("positional", PositionalKind.LEARNED.toString());
        model.put("tie_embeddings", true);
        model.put("bias", true);
        root.putObject("data").put("tokenizer", "gpt2");
        return root;
    }

    /**
     * {@code config.json} as {@code GPT2LMHeadModel.from_pretrained} reads it.
     *
     * @param endOfText the end-of-text id ({@code bos_token_id}, {@code eos_token_id}), or -1 for none
     */
    public String json(double dropout, int endOfText) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("GPT2LMHeadModel");
        root.put("model_type", "gpt2");
        root.put("n_layer", layers);
        root.put("n_head", heads);
        root.put("n_embd", dModel);
        root.put("n_positions", positions);
        root.put("n_ctx", positions);
        root.put("vocab_size", vocabSize);
        if (inner == 4 * dModel) {
            root.putNull("n_inner");
        } else {
            root.put("n_inner", inner);
        }
        root.put("activation_function", gelu == Gelu.TANH ? "gelu_new" : "gelu");
        root.put("layer_norm_epsilon", layerNormEps);
        root.put("resid_pdrop", dropout);
        root.put("embd_pdrop", dropout);
        root.put("attn_pdrop", dropout);
        root.put("initializer_range", 0.02);
        root.put("scale_attn_weights", true);
        root.put("tie_word_embeddings", true);
        if (endOfText >= 0) {
            root.put("bos_token_id", endOfText);
            root.put("eos_token_id", endOfText);
        }
        root.put("torch_dtype", "float32");
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int integer(JsonNode root, String key, List<String> problems) {
        JsonNode node = root.get(key);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 1) {
            problems.add(key + (node == null ? " is missing" : " " + node + " (expected a positive integer)"));
            return -1;
        }
        return node.asInt();
    }

    private static void require(JsonNode root, String key, boolean expected, String why, List<String> problems) {
        JsonNode node = root.get(key);
        if (node != null && !node.isNull() && node.asBoolean(!expected) != expected) {
            problems.add(key + " " + node + " (tlab's GPT-2 has " + why + ")");
        }
    }
}
