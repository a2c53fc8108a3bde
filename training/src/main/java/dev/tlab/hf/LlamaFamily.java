package dev.tlab.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Llama architecture and its relatives as Hugging Face's {@code config.json} describes them:
 * pre-norm RMSNorm, RoPE over whole heads (half-split pairs), SwiGLU, grouped-query attention.
 * Mistral adds nothing tlab needs beyond a sliding window (refused below the context); Qwen2 adds
 * q/k/v biases; Qwen3 adds per-head RMSNorm on q and k and a head size apart from the width.
 * Read and checked on import, mapped onto tlab's model keys ({@link #runTree}); made from a run's
 * model keys on export ({@link #fromRun}).
 *
 * @param headDim each head's width (Hugging Face's {@code head_dim})
 * @param scaling RoPE frequency scaling: none, linear or llama3
 */
public record LlamaFamily(Kind kind, int layers, int heads, int kvHeads, int headDim, int dModel, int dFf, int vocabSize,
        int context, double normEps, double ropeTheta, RopeScaling scaling, boolean tied, boolean qkvBias,
        boolean outBias, boolean mlpBias, boolean qkNorm) implements HfModel {

    /** The {@code model_type}s of the family, each with its class name and what it can express. */
    public enum Kind {
        LLAMA("llama", "Llama", "LlamaForCausalLM"),
        MISTRAL("mistral", "Mistral", "MistralForCausalLM"),
        QWEN2("qwen2", "Qwen2", "Qwen2ForCausalLM"),
        QWEN3("qwen3", "Qwen3", "Qwen3ForCausalLM");

        final String modelType;
        final String title;
        final String architecture;

        Kind(String modelType, String title, String architecture) {
            this.modelType = modelType;
            this.title = title;
            this.architecture = architecture;
        }

        public String modelType() {
            return modelType;
        }

        static Kind of(String modelType) {
            for (Kind k : values()) {
                if (k.modelType.equals(modelType)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * RoPE frequency scaling: {@code linear} divides every frequency by {@code factor}; {@code
     * llama3} divides the low frequencies, keeps the high ones and blends between (Llama 3.1).
     */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
        public static final RopeScaling NONE = new RopeScaling("none", 1, 0, 0, 0);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public String family() {
        return kind.title;
    }

    /**
     * Reads a Llama-family {@code config.json} ({@code root}, from {@code file}). Both generations of
     * RoPE settings are read: {@code rope_parameters} (transformers 5) and {@code rope_theta} with
     * {@code rope_scaling} (transformers 4). Whatever the family's code would use that tlab cannot
     * express is refused, every such key in one message.
     */
    public static LlamaFamily read(Path file, JsonNode root, Kind kind) {
        List<String> problems = new ArrayList<>();
        int d = integer(root, "hidden_size", problems);
        int layers = integer(root, "num_hidden_layers", problems);
        int heads = integer(root, "num_attention_heads", problems);
        int ff = integer(root, "intermediate_size", problems);
        int vocab = integer(root, "vocab_size", problems);
        int context = integer(root, "max_position_embeddings", problems);
        int kvHeads = optionalInteger(root, "num_key_value_heads", heads, problems);
        int headDim = optionalInteger(root, "head_dim", heads > 0 && d > 0 ? d / heads : 0, problems);
        if (heads > 0 && kvHeads > 0 && heads % kvHeads != 0) {
            problems.add("num_key_value_heads " + kvHeads + " does not divide num_attention_heads " + heads);
        }
        if ((root.path("head_dim").isMissingNode() || root.path("head_dim").isNull()) && heads > 0 && d % heads != 0) {
            problems.add("hidden_size " + d + " is not divisible by num_attention_heads " + heads + " and head_dim is not given");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            problems.add("hidden_act '" + act + "' (tlab's SwiGLU gates with silu)");
        }
        double eps = root.path("rms_norm_eps").asDouble(1e-6);
        if (!(eps > 0 && eps < 1)) {
            problems.add("rms_norm_eps " + eps + " (expected in (0, 1))");
        }
        boolean tied = root.path("tie_word_embeddings").asBoolean(false);
        boolean attentionBias = root.path("attention_bias").asBoolean(false);
        boolean mlpBias = root.path("mlp_bias").asBoolean(false);
        if (kind != Kind.LLAMA && root.path("mlp_bias").asBoolean(false)) {
            problems.add("mlp_bias true (" + kind.title + " has no MLP bias)");
            mlpBias = false;
        }
        boolean qkvBias = kind == Kind.QWEN2 || attentionBias;
        boolean outBias = kind != Kind.QWEN2 && attentionBias;
        // Rotary settings: transformers 5 nests them in rope_parameters; 4 had rope_theta and rope_scaling.
        JsonNode rope = root.path("rope_parameters");
        String ropeKey = "rope_parameters";
        double theta;
        if (rope.isObject()) {
            theta = rope.path("rope_theta").asDouble(root.path("rope_theta").asDouble(10000));
        } else {
            theta = root.path("rope_theta").asDouble(10000);
            rope = root.path("rope_scaling");
            ropeKey = "rope_scaling";
        }
        RopeScaling scaling = scaling(rope, ropeKey, problems);
        JsonNode partial = root.path("partial_rotary_factor");
        if (!partial.isMissingNode() && !partial.isNull() && partial.asDouble() != 1.0) {
            problems.add("partial_rotary_factor " + partial + " (tlab rotates whole heads in this family)");
        }
        if (kind == Kind.MISTRAL) {
            JsonNode window = root.path("sliding_window");
            if (!window.isMissingNode() && !window.isNull() && window.asInt() < context) {
                problems.add("sliding_window " + window + " is below max_position_embeddings " + context
                        + " (tlab's attention sees the whole context; null or >= the context imports)");
            }
        }
        if (kind == Kind.QWEN2 || kind == Kind.QWEN3) {
            if (root.path("use_sliding_window").asBoolean(false)) {
                problems.add("use_sliding_window true (tlab's attention sees the whole context)");
            }
            for (JsonNode type : root.path("layer_types")) {
                if (!type.asText().equals("full_attention")) {
                    problems.add("layer_types has '" + type.asText() + "' (tlab has full_attention only)");
                    break;
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(file + ": " + kind.title + " settings tlab cannot import: " + String.join("; ", problems));
        }
        return new LlamaFamily(kind, layers, heads, kvHeads, headDim, d, ff, vocab, context, eps, theta, scaling, tied,
                qkvBias, outBias, mlpBias, kind == Kind.QWEN3);
    }

    private static RopeScaling scaling(JsonNode rope, String key, List<String> problems) {
        if (rope.isMissingNode() || rope.isNull()) {
            return RopeScaling.NONE;
        }
        String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
        switch (type) {
            case "default":
                return RopeScaling.NONE;
            case "linear":
                return new RopeScaling("linear", positive(rope, key, "factor", problems), 0, 0, 0);
            case "llama3":
                double factor = positive(rope, key, "factor", problems);
                double low = positive(rope, key, "low_freq_factor", problems);
                double high = positive(rope, key, "high_freq_factor", problems);
                double original = positive(rope, key, "original_max_position_embeddings", problems);
                if (high <= low && high > 0) {
                    problems.add(key + ".high_freq_factor " + high + " must exceed low_freq_factor " + low);
                }
                return new RopeScaling("llama3", factor, low, high, (int) original);
            default:
                problems.add(key + ".rope_type '" + type + "' (tlab has default, linear and llama3)");
                return RopeScaling.NONE;
        }
    }

    private static double positive(JsonNode rope, String key, String field, List<String> problems) {
        double v = rope.path(field).asDouble(-1);
        if (!(v > 0)) {
            problems.add(key + "." + field + " " + (rope.has(field) ? rope.get(field) : "is missing") + " (expected a positive number)");
        }
        return v;
    }

    @Override
    public List<HfTensor> tensors() {
        long d = dModel;
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        List<HfTensor> out = new ArrayList<>();
        out.add(HfTensor.renamed("wte.weight", "model.embed_tokens.weight", vocabSize, d));
        for (int i = 0; i < layers; i++) {
            String t = "h." + i + ".";
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            String m = p + "mlp.";
            out.add(HfTensor.renamed(t + "ln1.weight", p + "input_layernorm.weight", d));
            out.add(HfTensor.fused(t + "attn.qkv.weight", part(a + "q_proj.weight", q, d), part(a + "k_proj.weight", kv, d),
                    part(a + "v_proj.weight", kv, d)));
            if (qkvBias) {
                out.add(HfTensor.fused(t + "attn.qkv.bias", part(a + "q_proj.bias", q), part(a + "k_proj.bias", kv),
                        part(a + "v_proj.bias", kv)));
            }
            if (qkNorm) {
                out.add(HfTensor.renamed(t + "attn.q.norm.weight", a + "q_norm.weight", headDim));
                out.add(HfTensor.renamed(t + "attn.k.norm.weight", a + "k_norm.weight", headDim));
            }
            out.add(HfTensor.renamed(t + "attn.proj.weight", a + "o_proj.weight", d, q));
            if (outBias) {
                out.add(HfTensor.renamed(t + "attn.proj.bias", a + "o_proj.bias", d));
            }
            out.add(HfTensor.renamed(t + "ln2.weight", p + "post_attention_layernorm.weight", d));
            out.add(HfTensor.fused(t + "mlp.fc.weight", part(m + "gate_proj.weight", dFf, d), part(m + "up_proj.weight", dFf, d)));
            if (mlpBias) {
                out.add(HfTensor.fused(t + "mlp.fc.bias", part(m + "gate_proj.bias", dFf), part(m + "up_proj.bias", dFf)));
            }
            out.add(HfTensor.renamed(t + "mlp.proj.weight", m + "down_proj.weight", d, dFf));
            if (mlpBias) {
                out.add(HfTensor.renamed(t + "mlp.proj.bias", m + "down_proj.bias", d));
            }
        }
        out.add(HfTensor.renamed("lnf.weight", "model.norm.weight", d));
        if (!tied) {
            out.add(HfTensor.renamed("head.weight", "lm_head.weight", vocabSize, d));
        }
        return out;
    }

    private static HfTensor.Part part(String name, long... shape) {
        return new HfTensor.Part(name, shape);
    }

    /** A tied head written out anyway, and the rotary buffers older files carry. */
    @Override
    public boolean ignored(String hfName) {
        return (tied && hfName.equals("lm_head.weight")) || hfName.endsWith("rotary_emb.inv_freq");
    }

    /** Which parts carry a bias, as {@code model.bias} lists them. */
    List<String> biasParts() {
        List<String> parts = new ArrayList<>();
        if (qkvBias) {
            parts.add("qkv");
        }
        if (outBias) {
            parts.add("out");
        }
        if (mlpBias) {
            parts.add("mlp");
        }
        return parts;
    }

    /**
     * The run config in tlab's keys. Keys whose value is tlab's default for them (one key-value
     * head per head, head size from the width, no QK-norm, no RoPE scaling) are left out.
     * Dropout is 0: the family's attention_dropout is a training setting a fine-tune sets itself.
     */
    @Override
    public ObjectNode runTree() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("layers", layers);
        model.put("heads", heads);
        if (kvHeads != heads) {
            model.put("kv_heads", kvHeads);
        }
        model.put("d_model", dModel);
        if ((long) heads * headDim != dModel) {
            model.put("head_dim", headDim);
        }
        model.put("d_ff", dFf);
        model.put("ffn", "swiglu");
        model.put("context", context);
        model.put("dropout", 0.0);
        model.put("norm_placement", "pre");
        model.put("norm", "rmsnorm");
        model.put("norm_eps", normEps);
        model.put("positional", "rope");
        model.put("rope_base", ropeTheta);
        model.put("rope_fraction", 1.0);
        if (!scaling.type().equals("none")) {
            model.put("rope_scaling", scaling.type());
            model.put("rope_scaling_factor", scaling.factor());
            if (scaling.type().equals("llama3")) {
                model.put("rope_low_freq_factor", scaling.lowFreqFactor());
                model.put("rope_high_freq_factor", scaling.highFreqFactor());
                model.put("rope_original_context", scaling.originalContext());
            }
        }
        if (qkNorm) {
            model.put("qk_norm", true);
        }
        model.put("tie_embeddings", tied);
        List<String> bias = biasParts();
        if (bias.isEmpty() || bias.size() == 3) {
            // Every linear layer or none: RMSNorm has no bias either way.
            model.put("bias", !bias.isEmpty());
        } else {
            ArrayNode list = model.putArray("bias");
            bias.forEach(list::add);
        }
        root.putObject("data").put("tokenizer", "hf");
        return root;
    }

    /**
     * The family member that expresses a run's model keys ({@code model}, the {@code model} section
     * of its resolved config): Qwen3 with QK-norm, Qwen2 with q/k/v biases alone, Llama otherwise.
     * Every key of the section must be one this export knows; what no member expresses is refused,
     * each key named, in one message.
     */
    public static LlamaFamily fromRun(JsonNode model, int vocabSize) {
        List<String> problems = new ArrayList<>();
        for (var it = model.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KNOWN_KEYS.contains(key)) {
                problems.add("model." + key + " is a key the Hugging Face export does not know");
            }
        }
        expect(model, "type", "decoder", "a decoder (data.task lm)", problems);
        expect(model, "ffn", "swiglu", "swiglu", problems);
        expect(model, "norm", "rmsnorm", "rmsnorm", problems);
        expect(model, "norm_placement", "pre", "pre", problems);
        expect(model, "positional", "rope", "rope", problems);
        if (model.path("rope_fraction").asDouble(1.0) != 1.0) {
            problems.add("model.rope_fraction is " + model.path("rope_fraction").asDouble() + " (Llama rotates whole heads: 1.0)");
        }
        int heads = model.path("heads").asInt();
        int d = model.path("d_model").asInt();
        int kv = model.path("kv_heads").asInt(0);
        int headDim = model.path("head_dim").asInt(0);
        int dFf = model.path("d_ff").asInt(0);
        if (dFf == 0) {
            dFf = (int) ((8L * d / 3 + 7) / 8 * 8);
        }
        JsonNode biasNode = model.path("bias");
        List<String> bias = new ArrayList<>();
        if (biasNode.isArray()) {
            biasNode.forEach(b -> bias.add(b.asText().toLowerCase(Locale.ROOT)));
        } else if (biasNode.isTextual() && !biasNode.asText().matches("(?i)true|false")) {
            for (String part : biasNode.asText().replaceAll("[\\[\\] ]", "").split(",")) {
                if (!part.isEmpty()) {
                    bias.add(part.toLowerCase(Locale.ROOT));
                }
            }
        } else if (biasNode.asBoolean(false) || biasNode.asText().equalsIgnoreCase("true")) {
            bias.addAll(List.of("qkv", "out", "mlp"));
        }
        boolean qkNorm = model.path("qk_norm").asBoolean(false);
        boolean qkv = bias.contains("qkv");
        boolean out = bias.contains("out");
        boolean mlp = bias.contains("mlp");
        Kind kind;
        if (qkNorm) {
            kind = Kind.QWEN3;
            if (qkv != out) {
                problems.add("model.bias is " + bias + " with model.qk_norm (Qwen3 has q/k/v and output biases together or none)");
            }
            if (mlp) {
                problems.add("model.bias includes mlp with model.qk_norm (Qwen3 has no MLP bias)");
            }
        } else if (qkv && !out && !mlp) {
            kind = Kind.QWEN2;
        } else {
            kind = Kind.LLAMA;
            if (qkv != out) {
                problems.add("model.bias is " + bias + " (Llama has q/k/v and output biases together or none; Qwen2 has q/k/v alone)");
            }
        }
        String scalingType = model.path("rope_scaling").asText("none");
        RopeScaling scaling = switch (scalingType) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling("linear", model.path("rope_scaling_factor").asDouble(), 0, 0, 0);
            case "llama3" -> new RopeScaling("llama3", model.path("rope_scaling_factor").asDouble(),
                    model.path("rope_low_freq_factor").asDouble(), model.path("rope_high_freq_factor").asDouble(),
                    model.path("rope_original_context").asInt());
            default -> {
                problems.add("model.rope_scaling is " + scalingType + " (Hugging Face has linear and llama3)");
                yield RopeScaling.NONE;
            }
        };
        if (!problems.isEmpty()) {
            throw new ConfigException("no Hugging Face family (GPT-2, Llama, Qwen2, Qwen3) can express this model: "
                    + String.join("; ", problems));
        }
        return new LlamaFamily(kind, model.path("layers").asInt(), heads, kv == 0 ? heads : kv,
                headDim == 0 ? d / heads : headDim, d, dFf, vocabSize, model.path("context").asInt(),
                model.path("norm_eps").asDouble(), model.path("rope_base").asDouble(), scaling,
                model.path("tie_embeddings").asBoolean(), qkv, out, mlp, qkNorm);
    }

    /**
     * The model keys the export knows: each is written to {@code config.json}, required to have the
     * one value the family has, or (dropout, attention kernel, encoder-only settings) does not
     * change the weights or the function they compute.
     */
    static final List<String> KNOWN_KEYS = List.of("type", "layers", "encoder_layers", "heads", "kv_heads", "d_model",
            "head_dim", "d_ff", "ffn", "gelu", "context", "dropout", "norm_placement", "norm", "norm_eps", "positional",
            "rope_base", "rope_fraction", "rope_scaling", "rope_scaling_factor", "rope_low_freq_factor",
            "rope_high_freq_factor", "rope_original_context", "relative_buckets", "relative_max_distance",
            "tie_embeddings", "bias", "qk_norm", "attention");

    private static void expect(JsonNode model, String key, String value, String why, List<String> problems) {
        JsonNode node = model.get(key);
        if (node != null && !node.asText().equalsIgnoreCase(value)) {
            problems.add("model." + key + " is " + node.asText() + " (Llama-family models have " + why + ")");
        }
    }

    /**
     * {@code config.json} as {@code AutoModelForCausalLM.from_pretrained} reads it, in transformers
     * 5's form ({@code rope_parameters}).
     *
     * @param bos the begin-of-text id, or -1
     * @param eos the end-of-text ids (empty for none)
     */
    public String json(int bos, List<Integer> eos) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add(kind.architecture);
        root.put("model_type", kind.modelType);
        root.put("hidden_size", dModel);
        root.put("intermediate_size", dFf);
        root.put("num_hidden_layers", layers);
        root.put("num_attention_heads", heads);
        root.put("num_key_value_heads", kvHeads);
        root.put("head_dim", headDim);
        root.put("hidden_act", "silu");
        root.put("max_position_embeddings", context);
        root.put("rms_norm_eps", normEps);
        root.put("vocab_size", vocabSize);
        root.put("tie_word_embeddings", tied);
        ObjectNode rope = root.putObject("rope_parameters");
        rope.put("rope_type", scaling.type().equals("none") ? "default" : scaling.type());
        rope.put("rope_theta", ropeTheta);
        if (!scaling.type().equals("none")) {
            rope.put("factor", scaling.factor());
        }
        if (scaling.type().equals("llama3")) {
            rope.put("low_freq_factor", scaling.lowFreqFactor());
            rope.put("high_freq_factor", scaling.highFreqFactor());
            rope.put("original_max_position_embeddings", scaling.originalContext());
        }
        if (kind != Kind.QWEN2) {
            root.put("attention_bias", qkvBias);
        }
        if (kind == Kind.LLAMA) {
            root.put("mlp_bias", mlpBias);
        }
        if (kind == Kind.QWEN2 || kind == Kind.QWEN3) {
            root.put("use_sliding_window", false);
            root.putNull("sliding_window");
        }
        root.put("attention_dropout", 0.0);
        root.put("initializer_range", 0.02);
        if (bos >= 0) {
            root.put("bos_token_id", bos);
        } else {
            root.putNull("bos_token_id");
        }
        if (eos.size() == 1) {
            root.put("eos_token_id", eos.get(0));
        } else if (!eos.isEmpty()) {
            ArrayNode list = root.putArray("eos_token_id");
            eos.forEach(list::add);
        }
        root.put("dtype", "float32");
        root.put("use_cache", true);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int integer(JsonNode root, String key, List<String> problems) {
        JsonNode node = root.get(key);
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 1) {
            problems.add(key + (node == null ? " is missing" : " " + node + " (expected a positive integer)"));
            return -1;
        }
        return node.asInt();
    }

    private static int optionalInteger(JsonNode root, String key, int absent, List<String> problems) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? absent : integer(root, key, problems);
    }
}
