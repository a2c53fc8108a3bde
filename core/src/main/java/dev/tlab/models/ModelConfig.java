package dev.tlab.models;

import dev.tlab.attention.AttentionKernel;
import dev.tlab.attention.HeadLayout;
import dev.tlab.layers.Biases;
import dev.tlab.layers.FfnKind;
import dev.tlab.layers.Gelu;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import java.util.Map;

/**
 * The shape of a Transformer: the {@code model} section of a config, one component per key
 * ({@link ModelKeys}: {@code dModel} is {@code model.d_model}; defaults in {@code defaults.yaml}),
 * plus the type ({@code data.task} decides it) and the vocabulary size (the tokenizer's; 0 until
 * {@link #forVocabulary}). Validated on construction, so a bad value or an invalid combination is
 * reported by its config keys before any native memory is touched. Made by {@link ModelKeys#bind}
 * or a {@link Builder}, never by a long argument list.
 *
 * @param type decoder, encoder or encoder_decoder
 * @param vocabSize tokens in the vocabulary, taken from the tokenizer (0 until it is known)
 * @param layers Transformer blocks (the decoder's, for encoder_decoder)
 * @param encoderLayers encoder blocks of an encoder_decoder; 0 means {@code layers}
 * @param heads attention (query) heads per block
 * @param kvHeads key/value heads, each shared by {@code heads / kvHeads} query heads; 0 means {@code heads}
 * @param headDim width of one attention head; 0 means {@code dModel / heads}
 * @param qkNorm whether each head's queries and keys pass an RMSNorm (learned gain, {@code normEps}) before RoPE
 * @param dModel residual stream width
 * @param dFf feed-forward hidden width; 0 means 4 d (gelu) or 8d/3 rounded up to 8 (swiglu)
 * @param ffn feed-forward activation
 * @param gelu the GELU of a {@code gelu} feed-forward: exact (erf) or GPT-2's tanh approximation
 * @param context the longest sequence the model trains on
 * @param dropout dropout on embeddings, attention weights, inside the FFN and on sublayer outputs
 * @param normPlacement where the norm sits in each residual branch
 * @param norm which normalization to use
 * @param normEps the epsilon of every norm
 * @param positional how positions are encoded
 * @param ropeBase RoPE frequency base
 * @param ropeFraction fraction of each head's dimensions that RoPE rotates
 * @param relativeBuckets T5 relative-bias buckets
 * @param relativeMaxDistance distance beyond which T5 buckets stop growing
 * @param tieEmbeddings whether the LM head reuses the token embedding matrix
 * @param bias which parts carry a bias: q/k/v, attention output, feed-forward, LayerNorm
 * @param attention how attention is computed (speed and memory only, not the weights)
 */
public record ModelConfig(
        ModelType type,
        int vocabSize,
        int layers,
        int encoderLayers,
        int heads,
        int kvHeads,
        int headDim,
        boolean qkNorm,
        int dModel,
        int dFf,
        FfnKind ffn,
        Gelu gelu,
        int context,
        double dropout,
        NormPlacement normPlacement,
        NormType norm,
        double normEps,
        PositionalKind positional,
        double ropeBase,
        double ropeFraction,
        int relativeBuckets,
        int relativeMaxDistance,
        boolean tieEmbeddings,
        Biases bias,
        AttentionKernel attention) {

    public ModelConfig {
        if (type == null || bias == null || ffn == null || gelu == null || normPlacement == null || norm == null || positional == null
                || attention == null) {
            throw new IllegalArgumentException("model.type, model.ffn, model.gelu, model.norm_placement, model.norm, "
                    + "model.positional and model.attention must be set");
        }
        if (!(normEps > 0 && normEps < 1)) {
            throw new IllegalArgumentException("model.norm_eps must be in (0, 1), got " + normEps);
        }
        positive("model.layers", layers);
        positive("model.heads", heads);
        positive("model.d_model", dModel);
        positive("model.context", context);
        if (kvHeads < 0 || kvHeads > 0 && heads % kvHeads != 0) {
            throw new IllegalArgumentException("model.kv_heads (" + kvHeads + ") must divide model.heads (" + heads
                    + "); 0 = one per head, 1 = multi-query");
        }
        if (vocabSize < 0) {
            throw new IllegalArgumentException("vocabulary size must be >= 0, got " + vocabSize);
        }
        if (encoderLayers < 0) {
            throw new IllegalArgumentException("model.encoder_layers must be >= 0 (0 = model.layers), got " + encoderLayers);
        }
        if (headDim < 0) {
            throw new IllegalArgumentException("model.head_dim must be >= 0 (0 = d_model / heads), got " + headDim);
        }
        if (headDim == 0 && dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "model.d_model (" + dModel + ") must be divisible by model.heads (" + heads
                            + "); try d_model = " + (dModel / heads + 1) * heads + ", or set model.head_dim");
        }
        if (dFf < 0) {
            throw new IllegalArgumentException("model.d_ff must be >= 0 (0 = the ffn's default width), got " + dFf);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("model.dropout must be in [0, 1), got " + dropout);
        }
        if (positional == PositionalKind.ROPE) {
            if (!(ropeFraction > 0 && ropeFraction <= 1) || !(ropeBase > 1)) {
                throw new IllegalArgumentException(
                        "model.rope_fraction must be in (0, 1] and model.rope_base > 1, got "
                                + ropeFraction + " and " + ropeBase);
            }
            // The fields are not set yet in a compact constructor: headSize() by hand.
            int headSize = headDim > 0 ? headDim : dModel / heads;
            double rotary = headSize * ropeFraction;
            if (rotary != Math.rint(rotary) || rotary < 2 || ((long) rotary) % 2 != 0) {
                throw new IllegalArgumentException(
                        "model.positional = rope rotates dimension pairs, so "
                                + (headDim > 0 ? "model.head_dim (" : "model.d_model / model.heads (") + headSize
                                + ") x model.rope_fraction (" + ropeFraction
                                + ") must be an even whole number, got " + rotary);
            }
        }
        if (positional == PositionalKind.RELATIVE
                && (relativeBuckets < 4 || relativeBuckets % 2 != 0 || relativeMaxDistance <= relativeBuckets / 2)) {
            throw new IllegalArgumentException(
                    "model.positional = relative needs model.relative_buckets even and >= 4, and "
                            + "model.relative_max_distance > relative_buckets / 2; got "
                            + relativeBuckets + " and " + relativeMaxDistance);
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
    }

    /** Feed-forward hidden width, resolving the 0 default per activation. */
    public int ffHidden() {
        if (dFf > 0) {
            return dFf;
        }
        // long arithmetic: 4 d overflows an int for the widest d_model a config may name.
        long width = ffn == FfnKind.GELU ? 4L * dModel : (8L * dModel / 3 + 7) / 8 * 8;
        return (int) Math.min(width, Integer.MAX_VALUE);
    }

    /** Key/value heads, resolving the 0 default. */
    public int keyValueHeads() {
        return kvHeads > 0 ? kvHeads : heads;
    }

    /** Query heads, key/value heads and the width of each, as attention takes them. */
    public HeadLayout headLayout() {
        return new HeadLayout(heads, keyValueHeads(), headSize());
    }

    /** Width of one attention head. */
    public int headSize() {
        return headDim > 0 ? headDim : dModel / heads;
    }

    /** Encoder depth of an encoder_decoder. */
    public int encoderDepth() {
        return encoderLayers > 0 ? encoderLayers : layers;
    }

    /** Trainable parameters, by formula (for tests and the start-up log). */
    public long parameterCount() {
        return Math.round(parameters());
    }

    /**
     * {@link #parameterCount} in floating point, which cannot overflow whatever the sizes (exact
     * below 2^53), so a memory estimate can refuse an absurd config without wrapping around.
     */
    public double parameters() {
        double table = (double) vocabSize * dModel;
        double head = tieEmbeddings ? 0 : table;
        return switch (type) {
            case DECODER, ENCODER -> table + stackParameters(layers, false) + head;
            case ENCODER_DECODER -> table + stackParameters(encoderDepth(), false) + stackParameters(layers, true) + head;
        };
    }

    /** A stack of blocks, its final norm and its position parameters. */
    private double stackParameters(int depth, boolean crossAttention) {
        double d = dModel;
        double f = ffHidden();
        double normParams = norm.parametersPerFeature(bias.norm()) * d;
        double branchNorms = normPlacement.normsPerBranch() * normParams;
        double q = (double) heads * headSize();
        double kv = 2.0 * keyValueHeads() * headSize();
        double attention = d * (q + kv) + q * d + (bias.qkv() ? q + kv : 0) + (bias.out() ? d : 0)
                + (qkNorm ? 2.0 * headSize() : 0);
        double b = bias.mlp() ? 1 : 0;
        double ffnParams = ffn == FfnKind.GELU ? 2 * d * f + f * b + d * b : 3 * d * f + 2 * f * b + d * b;
        double block = attention + ffnParams + 2 * branchNorms;
        if (crossAttention) {
            block += attention + branchNorms;
        }
        double total = depth * block;
        if (normPlacement.hasFinalNorm()) {
            total += normParams;
        }
        total += switch (positional) {
            case LEARNED -> (double) context * d;
            case RELATIVE -> (double) relativeBuckets * heads;
            default -> 0;
        };
        return total;
    }

    /**
     * Training FLOPs per token, as nanoGPT's {@code estimate_mfu} (PaLM appendix B): 6 per
     * parameter (forward and backward), position table excluded, plus attention's 12 L d T.
     */
    public double trainingFlopsPerToken() {
        long positionTable = positional == PositionalKind.LEARNED ? (long) context * dModel : 0;
        int stacks = type == ModelType.ENCODER_DECODER ? 2 : 1;
        int depth = type == ModelType.ENCODER_DECODER ? layers + encoderDepth() : layers;
        return 6.0 * (parameters() - stacks * positionTable) + 12.0 * depth * dModel * context;
    }

    /** This model with a vocabulary of {@code vocabSize} tokens, as the tokenizer decides it. */
    public ModelConfig forVocabulary(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabulary size must be >= 1, got " + vocabSize);
        }
        return toBuilder().vocabSize(vocabSize).build();
    }

    /** The model of {@code defaults.yaml} (the baby Shakespeare GPT), to change key by key. */
    public static Builder builder() {
        return ModelKeys.defaults().toBuilder();
    }

    public Builder toBuilder() {
        return new Builder(ModelKeys.values(this));
    }

    /** Sets components by name; {@link #build} runs the record's checks. */
    public static final class Builder {
        private final Map<String, Object> values;

        private Builder(Map<String, Object> values) {
            this.values = values;
        }

        private Builder set(String component, Object value) {
            if (!values.containsKey(component)) {
                throw new IllegalStateException("ModelConfig has no component " + component);
            }
            values.put(component, value);
            return this;
        }

        public Builder type(ModelType v) { return set("type", v); }
        public Builder vocabSize(int v) { return set("vocabSize", v); }
        public Builder layers(int v) { return set("layers", v); }
        public Builder encoderLayers(int v) { return set("encoderLayers", v); }
        public Builder heads(int v) { return set("heads", v); }
        public Builder kvHeads(int v) { return set("kvHeads", v); }
        public Builder headDim(int v) { return set("headDim", v); }
        public Builder qkNorm(boolean v) { return set("qkNorm", v); }
        public Builder dModel(int v) { return set("dModel", v); }
        public Builder dFf(int v) { return set("dFf", v); }
        public Builder ffn(FfnKind v) { return set("ffn", v); }
        public Builder gelu(Gelu v) { return set("gelu", v); }
        public Builder context(int v) { return set("context", v); }
        public Builder dropout(double v) { return set("dropout", v); }
        public Builder normPlacement(NormPlacement v) { return set("normPlacement", v); }
        public Builder norm(NormType v) { return set("norm", v); }
        public Builder normEps(double v) { return set("normEps", v); }
        public Builder positional(PositionalKind v) { return set("positional", v); }
        public Builder ropeBase(double v) { return set("ropeBase", v); }
        public Builder ropeFraction(double v) { return set("ropeFraction", v); }
        public Builder relativeBuckets(int v) { return set("relativeBuckets", v); }
        public Builder relativeMaxDistance(int v) { return set("relativeMaxDistance", v); }
        public Builder tieEmbeddings(boolean v) { return set("tieEmbeddings", v); }
        public Builder bias(boolean v) { return set("bias", Biases.of(v)); }
        public Builder bias(Biases v) { return set("bias", v); }
        public Builder attention(AttentionKernel v) { return set("attention", v); }

        public ModelConfig build() {
            return ModelKeys.construct(values);
        }
    }
}
