package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.config.SampleConfig;
import dev.tlab.data.BatchSampler;
import dev.tlab.data.BatchSource;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.data.LmSplits;
import java.util.Map;
import dev.tlab.data.TokenSplits;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.sample.Sampler;
import java.util.Locale;

/** A GPT on a corpus: next-token cross-entropy on random windows; samples text at the end. */
public final class LanguageModelTask implements Task {

    private final DecoderLM model;
    private final Tokenizer tokenizer;
    private final LmSplits splits;
    private final BatchSource train;
    private final BatchSampler val;
    private final SampleConfig sample;

    public LanguageModelTask(ModelConfig config, Tokenizer tokenizer, LmSplits splits, int batchSize, long seed,
            SampleConfig sample, NDManager manager) {
        this.model = DecoderLM.create(config, manager);
        this.tokenizer = tokenizer;
        this.splits = splits;
        this.train = new BatchSampler(splits.train(), batchSize, config.context(), seed);
        this.val = new BatchSampler(splits.val(), batchSize, config.context(), seed + 1);
        this.sample = sample;
    }

    @Override
    public TokenModel model() {
        return model;
    }

    @Override
    public NDArray trainLoss(ParameterStore ps, NDManager manager, long step, int micro) {
        return loss(ps, manager, train.sample(step, micro), true);
    }

    @Override
    public NDArray valLoss(ParameterStore ps, NDManager manager, int index) {
        return loss(ps, manager, val.sample(index, 0), false);
    }

    private NDArray loss(ParameterStore ps, NDManager manager, BatchSampler.Batch batch, boolean training) {
        Shape shape = new Shape(batch.batchSize(), batch.context());
        NDArray logits = model.forward(ps, manager.create(batch.inputs(), shape), training);
        return LmLoss.crossEntropy(logits, manager.create(batch.targets(), shape));
    }

    /** Bits per byte of the validation text next to the loss, so tokenizers can be compared. */
    @Override
    public Map<String, Double> evalMetrics(ParameterStore ps, NDManager manager, double valLoss) {
        double bitsPerByte = splits.bitsPerByte(valLoss);
        return Double.isNaN(bitsPerByte) ? Map.of() : Map.of(VAL_BPB, bitsPerByte);
    }

    @Override
    public long tokensPerMicroBatch() {
        BatchSampler.Batch probe = val.sample(0, 0);
        return (long) probe.batchSize() * probe.context();
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s tokenizer, vocab %,d | train %,d / val %,d tokens", tokenizer.kind(),
                tokenizer.vocabSize(), splits.train().length(), splits.val().length());
    }

    @Override
    public String samples(ParameterStore ps, NDManager manager, long seed) {
        if (sample.tokens() == 0) {
            return "";
        }
        Sampler sampler = new Sampler(model, ps, manager, tokenizer);
        String greedy = sampler.generate(sample.greedy(), seed).text();
        String sampled = sampler.generate(sample, seed).text();
        return "=== greedy ===\n" + greedy + "\n\n=== temperature " + sample.temperature() + ", top-k "
                + sample.topK() + ", top-p " + sample.topP() + " ===\n" + sampled + "\n";
    }
}
