package dev.tlab.models;

import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;

/**
 * The shape of a decoder-only Transformer. Validated on construction, so a bad value is reported
 * by its config key before any native memory is touched.
 *
 * @param vocabSize tokens in the vocabulary, taken from the tokenizer (0 until it is known)
 * @param layers number of Transformer blocks
 * @param heads attention heads per block
 * @param dModel residual stream width
 * @param dFf feed-forward hidden width; 0 means 4 * dModel
 * @param context the longest sequence the model sees
 * @param dropout dropout on embeddings, attention weights and sublayer outputs
 * @param normPlacement where the norm sits in each residual branch
 * @param norm which normalization to use
 * @param positional how positions are encoded
 * @param tieEmbeddings whether the LM head reuses the token embedding matrix
 * @param bias whether linear layers and norms carry a bias
 */
public record ModelConfig(
        int vocabSize,
        int layers,
        int heads,
        int dModel,
        int dFf,
        int context,
        double dropout,
        NormPlacement normPlacement,
        NormType norm,
        PositionalKind positional,
        boolean tieEmbeddings,
        boolean bias) {

    public ModelConfig {
        positive("model.layers", layers);
        positive("model.heads", heads);
        positive("model.d_model", dModel);
        positive("model.context", context);
        if (vocabSize < 0) {
            throw new IllegalArgumentException("vocabulary size must be >= 0, got " + vocabSize);
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException(
                    "model.d_model ("
                            + dModel
                            + ") must be divisible by model.heads ("
                            + heads
                            + "); try d_model = "
                            + (dModel / heads + 1) * heads);
        }
        if (dFf < 0) {
            throw new IllegalArgumentException("model.d_ff must be >= 0 (0 = 4 * d_model), got " + dFf);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("model.dropout must be in [0, 1), got " + dropout);
        }
        if (normPlacement == null || norm == null || positional == null) {
            throw new IllegalArgumentException(
                    "model.norm_placement, model.norm and model.positional must be set");
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
    }

    /** Feed-forward hidden width, resolving the 0 default to 4 * d_model. */
    public int ffHidden() {
        return dFf > 0 ? dFf : 4 * dModel;
    }

    public int headDim() {
        return dModel / heads;
    }

    public ModelConfig withVocabSize(int newVocabSize) {
        return new ModelConfig(
                newVocabSize, layers, heads, dModel, dFf, context, dropout, normPlacement, norm,
                positional, tieEmbeddings, bias);
    }

    /**
     * Trainable parameters, by formula (for tests and the start-up log).
     *
     * <p>Per block: QKV (3d^2 + 3d) + out proj (d^2 + d) + FFN (2 d f + f + d) + 2 norms. Plus
     * token table, position table (learned only), final norm (pre-LN only), untied head.
     */
    public long parameterCount() {
        long d = dModel;
        long f = ffHidden();
        long b = bias ? 1 : 0;
        long normParams = norm.parametersPerFeature(bias) * d;
        long perBlock = 3 * d * d + 3 * d * b + d * d + d * b + 2 * d * f + f * b + d * b + 2 * normParams;
        long total = layers * perBlock + (long) vocabSize * d;
        if (positional == PositionalKind.LEARNED) {
            total += context * d;
        }
        if (normPlacement.hasFinalNorm()) {
            total += normParams;
        }
        if (!tieEmbeddings) {
            total += (long) vocabSize * d;
        }
        return total;
    }

    /**
     * Training FLOPs per token, as nanoGPT's {@code estimate_mfu} (PaLM appendix B): 6 per
     * parameter (forward and backward), position table excluded, plus attention's 12 L d T.
     */
    public double trainingFlopsPerToken() {
        long positionTable = positional == PositionalKind.LEARNED ? (long) context * dModel : 0;
        return 6.0 * (parameterCount() - positionTable) + 12.0 * layers * dModel * context;
    }
}
