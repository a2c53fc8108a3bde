package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.Masks;
import dev.tlab.chat.ChatDataset;
import dev.tlab.chat.ChatWindows;
import dev.tlab.config.ChatOptions.Packing;
import dev.tlab.config.SampleConfig;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.tokenize.Tokenizer;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A decoder on chat or instruction examples: next-token cross-entropy over the answer tokens (or
 * every token, {@code data.loss_on: all}) of windows of packed or padded examples, none attending
 * to another. Training batches are windows drawn at random; validation batch i holds windows
 * {@code i * B ...} in order (wrapping), so every evaluation scores the same answer tokens.
 */
public final class ChatTask implements Task {

    private final DecoderLM model;
    private final ChatDataset data;
    private final int batchSize;
    private final long seed;
    private final boolean packed;
    private final SampleConfig sample;

    public ChatTask(ModelConfig config, ChatDataset data, Packing packing, int batchSize, long seed, SampleConfig sample,
            NDManager manager) {
        this.model = DecoderLM.create(config, manager);
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.packed = packing == Packing.PACK;
        this.sample = sample;
    }

    @Override
    public TokenModel model() {
        return model;
    }

    public ChatDataset data() {
        return data;
    }

    @Override
    public NDArray trainLoss(ParameterStore ps, NDManager manager, long step, int micro) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + micro);
        int[] rows = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            rows[b] = random.nextInt(data.train().windows());
        }
        return loss(ps, manager, data.train(), rows, true);
    }

    @Override
    public NDArray valLoss(ParameterStore ps, NDManager manager, int index) {
        int[] rows = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            rows[b] = (int) (((long) index * batchSize + b) % data.val().windows());
        }
        return loss(ps, manager, data.val(), rows, false);
    }

    /** Mean cross-entropy over the weighted positions of windows {@code rows}. */
    NDArray loss(ParameterStore ps, NDManager manager, ChatWindows windows, int[] rows, boolean training) {
        int context = windows.context();
        long[] inputs = new long[rows.length * context];
        long[] targets = new long[rows.length * context];
        float[] weights = new float[rows.length * context];
        float[] mask = packed ? new float[rows.length * context * context] : null;
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(windows.inputs(rows[b]), 0, inputs, b * context, context);
            System.arraycopy(windows.targets(rows[b]), 0, targets, b * context, context);
            System.arraycopy(windows.weights(rows[b]), 0, weights, b * context, context);
            if (packed) {
                System.arraycopy(windows.attentionMask(rows[b], Masks.BLOCKED), 0, mask, b * context * context,
                        context * context);
            }
        }
        Shape shape = new Shape(rows.length, context);
        NDArray attention = packed ? manager.create(mask, new Shape(rows.length, 1, context, context)) : null;
        NDArray logits = model.forward(ps, manager.create(inputs, shape), attention, null, training);
        return LmLoss.crossEntropy(logits, manager.create(targets, shape), manager.create(weights, shape));
    }

    /** Bits per byte of the validation answers' text, from the loss per answer token. */
    @Override
    public Map<String, Double> evalMetrics(ParameterStore ps, NDManager manager, double valLoss) {
        ChatWindows val = data.val();
        if (val.answerBytes() == 0) {
            return Map.of();
        }
        return Map.of(VAL_BPB, valLoss / Math.log(2) * val.answerTokens() / val.answerBytes());
    }

    @Override
    public long tokensPerMicroBatch() {
        return (long) batchSize * data.train().context();
    }

    @Override
    public Tokenizer tokenizer() {
        return data.tokenizer();
    }

    @Override
    public String describe() {
        return data.describe();
    }

    @Override
    public String samples(ParameterStore ps, NDManager manager, long seed) {
        return "";
    }
}
