package dev.tlab.memory;

import dev.tlab.config.FinetuneConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.layers.FfnKind;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelType;
import dev.tlab.positional.PositionalKind;
import java.util.Locale;
import java.util.Set;

/**
 * The native memory one training step needs, worked out from the config alone so that a config too
 * large for the machine is refused before libtorch allocates anything. All in doubles: a million
 * layers or a million-wide model must give a huge number, not wrap around.
 *
 * <p>Counts follow how tlab trains: DJL keeps every intermediate of a step's forward pass until the
 * step's scope closes, so activations are the sum of them all, not just what autograd saves. Per
 * token and block (pre-norm, GELU): about 12 d-wide tensors and 2 FFN-wide ones (5 for SwiGLU, 8
 * more d-wide for RoPE), plus three {@code heads x context} score tensors (scores, masked scores,
 * softmax); dropout doubles each tensor it touches (output and mask), and backward adds about one
 * block's worth. The head holds about four vocabulary-wide tensors per token (logits,
 * log-softmax and their gradients). fp32 keeps weights, gradients, the packed gradient copy AdamW
 * reads and two moments (20 bytes per parameter); fp16 and bf16 add half copies of weights and
 * gradients, and their activations take 2 bytes an element. Checked against measured peak memory
 * in docs/BENCHMARKS.md.
 *
 * <p>A LoRA run trains only its adapter: the base's weights are held once (in {@code
 * finetune.base_precision}, plus a per-step half copy when a half-precision run keeps them in fp32),
 * with no gradients, packed copies or moments.
 *
 * @param parameters trainable parameters
 * @param frozenParameters parameters held but not trained (a LoRA run's base)
 * @param weightBytes weights, gradients and their half-precision copies
 * @param optimizerBytes AdamW's two moments
 * @param activationBytes one micro-batch's block activations, embeddings included
 * @param attentionBytes one micro-batch's attention score tensors
 * @param logitBytes one micro-batch's logits, log-probabilities and their gradients
 */
public record MemoryEstimate(double parameters, double frozenParameters, double weightBytes, double optimizerBytes, double activationBytes,
        double attentionBytes, double logitBytes) {

    /** Float tensors of width d per token and block, and of the FFN's width, kept through a step (see above). */
    static final double D_TENSORS_PER_BLOCK = 12;
    /** RoPE's rotation of q and k: four products, a sum, a difference and the concatenation. */
    static final double ROPE_D_TENSORS = 8;
    static final double GELU_FFN_TENSORS = 2;
    /** The projection to gate and up (two wide), sigmoid, gate times sigmoid, times up. */
    static final double SWIGLU_FFN_TENSORS = 5;
    static final double SCORE_TENSORS_PER_BLOCK = 3;
    static final double VOCAB_TENSORS = 4;
    static final double EMBEDDING_TENSORS = 3;
    /**
     * Per block, whatever its width: small tensors (norm statistics, masks, views), the allocator's
     * rounding and DJL's bookkeeping. Measured on 300 and 3,000 layers of d_model 16.
     */
    static final double BYTES_PER_BLOCK = 500_000;

    /**
     * Model keys that do not change the estimate: they change neither the parameters nor the
     * tensors a step keeps. Any other key must change it for some value ({@code MemoryEstimateTest}
     * checks every key), so a new key is either counted or named here.
     */
    static final Set<String> NO_EFFECT = Set.of(
            "gelu", "norm_eps", "rope_base", "rope_fraction", "relative_max_distance",
            "attention"); // sdpa keeps fewer score tensors; estimated as math, the larger

    /** One training step of {@code train}'s micro-batch at its precision, optimizer state included. */
    public static MemoryEstimate of(ModelConfig model, TrainConfig train) {
        return estimate(model, train.batchSize(), model.context(), train.halfPrecision(), true, model.parameters(), 0, 4);
    }

    /** {@link #of(ModelConfig, TrainConfig)}, counting a LoRA run's adapter as what trains and its base as frozen. */
    public static MemoryEstimate of(ModelConfig model, TrainConfig train, FinetuneConfig finetune) {
        if (!finetune.isLora()) {
            return of(model, train);
        }
        double baseBytes = finetune.basePrecision().equals("fp32") ? 4 + (train.halfPrecision() ? 2 : 0) : 2;
        return estimate(model, train.batchSize(), model.context(), train.halfPrecision(), true,
                finetune.lora().parameters(model), model.parameters(), baseBytes);
    }

    /** A forward pass without gradients (evaluation) of {@code batch} sequences of {@code length} tokens, in fp32. */
    public static MemoryEstimate forward(ModelConfig model, int batch, int length) {
        return estimate(model, batch, length, false, false, model.parameters(), 0, 4);
    }

    /**
     * @param trained parameters with gradients and moments
     * @param frozen parameters held only, {@code frozenBytes} each
     */
    private static MemoryEstimate estimate(ModelConfig model, int batch, int length, boolean half, boolean training,
            double trained, double frozen, double frozenBytes) {
        double element = half ? 2 : 4;
        double parameters = trained;
        // fp32 weights and gradients, the packed gradients AdamW reads; fp16 adds half weights and gradients.
        double weights = parameters * (!training ? 4 : half ? 4 + 4 + 4 + 2 + 2 : 4 + 4 + 4) + frozen * frozenBytes;
        double moments = training ? parameters * 8 : 0;

        double tokens = (double) batch * length;
        boolean dropout = training && model.dropout() > 0;
        double dropoutFactor = dropout ? 2 : 1;
        boolean crossAttention = model.type() == ModelType.ENCODER_DECODER;
        double blocks = crossAttention ? model.layers() + model.encoderDepth() : model.layers();
        double d = model.dModel();
        double dTensors = D_TENSORS_PER_BLOCK + (dropout ? 4 : 0) + (model.positional() == PositionalKind.ROPE ? ROPE_D_TENSORS : 0);
        double ffnTensors = (model.ffn() == FfnKind.GELU ? GELU_FFN_TENSORS : SWIGLU_FFN_TENSORS) + (dropout ? 2 : 0);
        double perBlock = dTensors * d + ffnTensors * model.ffHidden();
        double perCross = crossAttention ? 6 * d : 0;
        // The backward pass holds about one more block's worth of gradients while it walks the stack.
        double backward = training ? 1 : 0;
        double activations = tokens * element
                * ((blocks + backward) * perBlock + model.layers() * perCross + EMBEDDING_TENSORS * dropoutFactor * d)
                + blocks * BYTES_PER_BLOCK;
        // Scores in the activations' type; the softmax runs in fp32 whatever the precision.
        double scoreBytes = (half ? 2 + 2 + 4 + 4 + 2 : SCORE_TENSORS_PER_BLOCK * 4) + (dropout ? 2 * element : 0);
        double attentionBlocks = blocks + (crossAttention ? model.layers() : 0);
        // Plus one block's score gradients during backward.
        double scores = tokens * model.heads() * length * (attentionBlocks * scoreBytes + backward * 2 * 4);
        double logits = tokens * model.vocabSize() * (training ? VOCAB_TENSORS : VOCAB_TENSORS / 2) * 4;
        return new MemoryEstimate(parameters, frozen, weights, moments, activations, scores, logits);
    }

    public double totalBytes() {
        return weightBytes + optimizerBytes + activationBytes + attentionBytes + logitBytes;
    }

    /** The config keys behind the largest part, for the error that refuses a config. */
    public String drivers() {
        double largest = Math.max(Math.max(weightBytes + optimizerBytes, activationBytes), Math.max(attentionBytes, logitBytes));
        if (largest == weightBytes + optimizerBytes) {
            return "model.layers, model.d_model, model.d_ff and the vocabulary (" + count(parameters + frozenParameters)
                    + " parameters" + (frozenParameters > 0 ? "; finetune.base_precision" : "") + ")";
        }
        if (largest == attentionBytes) {
            return "train.batch_size, model.heads, model.layers and model.context squared (attention scores)";
        }
        if (largest == logitBytes) {
            return "train.batch_size, model.context and the vocabulary (logits)";
        }
        return "train.batch_size, model.context, model.layers and model.d_model (activations)";
    }

    /** One line: the total and its parts. */
    public String describe() {
        String trained = frozenParameters > 0 ? count(parameters) + " trained + " + count(frozenParameters) + " frozen"
                : count(parameters);
        return String.format(Locale.ROOT, "%s (parameters %s: weights and gradients %s, AdamW moments %s; one micro-batch:"
                        + " activations %s, attention scores %s, logits %s)",
                bytes(totalBytes()), trained, bytes(weightBytes), bytes(optimizerBytes), bytes(activationBytes),
                bytes(attentionBytes), bytes(logitBytes));
    }

    /** 1.5 GB, 12.0 MB, 980 B: decimal units, as free(1) -h and nvidia-smi print. */
    public static String bytes(double value) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        int unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? String.format(Locale.ROOT, "%.0f B", value)
                : value >= 1000 ? String.format(Locale.ROOT, "%.3g %s", value, units[unit])
                : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    private static String count(double value) {
        return value < 1e15 ? String.format(Locale.ROOT, "%,d", Math.round(value)) : String.format(Locale.ROOT, "%.3g", value);
    }
}
