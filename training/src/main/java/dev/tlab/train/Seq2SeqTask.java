package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.config.SampleConfig;
import dev.tlab.data.SyntheticSeq2Seq;
import dev.tlab.data.SyntheticSeq2Seq.Batch;
import dev.tlab.data.SyntheticSeq2Seq.Problem;
import dev.tlab.models.EncoderDecoder;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.sample.Seq2SeqDecoder;
import dev.tlab.sample.TokenPicker;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * An encoder-decoder on a synthetic task (reverse, sort, add): teacher-forced cross-entropy on the
 * answer and its end marker, and exact match of greedy, KV-cached decoding ({@link Seq2SeqDecoder})
 * on fixed problems.
 */
public final class Seq2SeqTask implements Task {

    private final EncoderDecoder model;
    private final SyntheticSeq2Seq train;
    private final SyntheticSeq2Seq val;
    private final int batchSize;
    private final int exactMatchProblems;
    private final SampleConfig sample;

    public Seq2SeqTask(ModelConfig config, SyntheticSeq2Seq train, SyntheticSeq2Seq val, int batchSize,
            int exactMatchProblems, SampleConfig sample, NDManager manager) {
        this.model = EncoderDecoder.create(config, manager);
        this.train = train;
        this.val = val;
        this.batchSize = batchSize;
        this.exactMatchProblems = exactMatchProblems;
        this.sample = sample;
    }

    @Override
    public TokenModel model() {
        return model;
    }

    @Override
    public NDArray trainLoss(ParameterStore ps, NDManager manager, long step, int micro) {
        return loss(ps, manager, train.batch(step, micro, batchSize), true);
    }

    @Override
    public NDArray valLoss(ParameterStore ps, NDManager manager, int index) {
        return loss(ps, manager, val.batch(index, 0, batchSize), false);
    }

    private NDArray loss(ParameterStore ps, NDManager manager, Batch b, boolean training) {
        Shape source = new Shape(b.batchSize(), b.sourceLength());
        Shape target = new Shape(b.batchSize(), b.targetLength());
        NDArray logits = model.forward(ps, manager.create(b.source(), source), manager.create(b.sourceValid(), source),
                manager.create(b.targetIn(), target), manager.create(b.targetValid(), target), training);
        float[] weights = new float[b.targetValid().length];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = b.targetValid()[i];
        }
        return LmLoss.crossEntropy(logits, manager.create(b.targetOut(), target), manager.create(weights, target));
    }

    /** The share of fixed validation problems whose greedy answer is exactly right. */
    @Override
    public Map<String, Double> evalMetrics(ParameterStore ps, NDManager manager, double valLoss) {
        int correct = 0;
        for (int start = 0; start < exactMatchProblems; start += batchSize) {
            Problem[] problems = val.problems(1_000_000 + start, 0, Math.min(batchSize, exactMatchProblems - start));
            int[][] answers = greedy(ps, manager, problems);
            for (int i = 0; i < problems.length; i++) {
                if (Arrays.equals(answers[i], problems[i].answer())) {
                    correct++;
                }
            }
        }
        return Map.of("exact_match", correct / (double) exactMatchProblems);
    }

    /** Greedy answers, decoded one token at a time with a KV cache, until every row ends. */
    int[][] greedy(ParameterStore ps, NDManager manager, Problem[] problems) {
        return decode(ps, manager, problems, TokenPicker.greedy());
    }

    private int[][] decode(ParameterStore ps, NDManager manager, Problem[] problems, TokenPicker picker) {
        Batch b = SyntheticSeq2Seq.pad(problems);
        return new Seq2SeqDecoder(model, ps, manager).decode(b.source(), b.sourceValid(), problems.length,
                b.sourceLength(), SyntheticSeq2Seq.BOS, SyntheticSeq2Seq.EOS, val.maxTargetLength(), picker);
    }

    @Override
    public long tokensPerMicroBatch() {
        return (long) batchSize * (train.maxSourceLength() + train.maxTargetLength());
    }

    @Override
    public dev.tlab.tokenize.Tokenizer tokenizer() {
        return train.tokenizer();
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "synthetic problems, sources up to %d tokens, answers up to %d",
                train.maxSourceLength(), train.maxTargetLength() - 1);
    }

    /** Greedy answers to held-out problems and, when sample.temperature > 0, sampled ones. */
    @Override
    public String samples(ParameterStore ps, NDManager manager, long seed) {
        Problem[] problems = val.problems(2_000_000 + seed, 0, 8);
        StringBuilder report = new StringBuilder("=== greedy answers on held-out problems ===\n");
        report.append(answers(problems, greedy(ps, manager, problems)));
        if (sample.temperature() > 0) {
            TokenPicker picker = new TokenPicker(sample.temperature(), sample.topK(), sample.topP(), seed);
            report.append(String.format(Locale.ROOT, "%n=== sampled answers (temperature %s, top-k %d, top-p %s) ===%n",
                    sample.temperature(), sample.topK(), sample.topP()));
            report.append(answers(problems, decode(ps, manager, problems, picker)));
        }
        return report.toString();
    }

    private String answers(Problem[] problems, int[][] answers) {
        StringBuilder report = new StringBuilder();
        var tokenizer = val.tokenizer();
        for (int i = 0; i < problems.length; i++) {
            boolean right = Arrays.equals(answers[i], problems[i].answer());
            report.append(tokenizer.decode(problems[i].source())).append(" -> ").append(tokenizer.decode(answers[i]))
                    .append(right ? "  (right)" : "  (want " + tokenizer.decode(problems[i].answer()) + ")").append('\n');
        }
        return report.toString();
    }
}
