package dev.tlab.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tlab.config.RunConfig;
import dev.tlab.data.BatchSampler;
import dev.tlab.data.Corpus;
import dev.tlab.data.DataTask;
import dev.tlab.data.LmSplits;
import dev.tlab.data.TokenSequence;
import dev.tlab.data.TokenSplits;
import dev.tlab.dataset.DataPreparation;
import dev.tlab.dataset.PrepareListener;
import dev.tlab.dataset.TextCorpus;
import dev.tlab.errors.ConfigException;
import dev.tlab.inference.TrainedModel;
import dev.tlab.memory.AvailableMemory;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.models.DecoderLM;
import dev.tlab.positional.PositionalKind;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.train.LmLoss;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Validation loss of a trained language model at other context lengths than it trained on: the
 * length-extrapolation test. Each context is scored on {@code batches} fixed random windows of
 * the validation split (the trainer's own validation windows when the context is the training
 * one), as mean cross-entropy over every position.
 */
public final class ContextEval {

    /** The loss at one context, or why there is none. */
    public record ContextLoss(int context, double valLoss, String unavailable) {
        public boolean available() {
            return unavailable == null;
        }
    }

    /**
     * The losses of one checkpoint, with what it was trained at.
     *
     * @param split the validation tokens scored, and the bytes of text behind them (for bits per byte)
     */
    public record Evaluation(Path checkpoint, long step, int trainedContext, PositionalKind positional,
            List<ContextLoss> losses, LmSplits split) {

        /** Bits per byte of the validation text at a mean loss of {@code nats} per token. */
        public double bitsPerByte(double nats) {
            return split.bitsPerByte(nats);
        }
    }

    private ContextEval() {}

    /**
     * @param run a run directory or checkpoint
     * @param batches validation batches per context; 0 = the run's {@code train.eval_batches}
     * @param data the corpus, or null for the run's {@code data.path}
     */
    public static Evaluation evaluate(Path run, List<Integer> contexts, int batches, Device device, Path data) {
        return evaluate(run, contexts, batches, device, data, note -> {});
    }

    /** @param say hears which checkpoint is used, and why any newer one was passed over */
    public static Evaluation evaluate(Path run, List<Integer> contexts, int batches, Device device, Path data,
            java.util.function.Consumer<String> say) {
        for (int context : contexts) {
            if (context < 1) {
                throw new ConfigException("--contexts: each context must be >= 1, got " + context);
            }
        }
        // Which checkpoint is used is said once the data is known to fit it, so bad data stays one line.
        List<String> notes = new ArrayList<>();
        try (TrainedModel trained = TrainedModel.load(run, device, notes::add);
                NDManager manager = NDManager.newBaseManager(device)) {
            RunConfig config = trained.config();
            if (config.data().task() != DataTask.LM) {
                throw new ConfigException("eval at other contexts needs a language model (data.task = lm); "
                        + run + " was trained with data.task = " + config.data().task());
            }
            LmSplits split = validation(trained, data, run);
            TokenSequence val = split.val();
            notes.forEach(say);
            int n = batches > 0 ? batches : config.train().evalBatches();
            DecoderLM model = trained.decoder();
            ParameterStore ps = new ParameterStore(manager, false);
            List<ContextLoss> results = new ArrayList<>();
            for (int context : contexts) {
                String reason = unavailable(model, context, val.length(), config.train().batchSize(), device);
                if (reason != null) {
                    results.add(new ContextLoss(context, Double.NaN, reason));
                    continue;
                }
                // Seed + 1 and the training batch size: the trainer's validation windows.
                BatchSampler sampler = new BatchSampler(val, config.train().batchSize(), context, config.train().seed() + 1);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    try (NDScope ignored = new NDScope()) {
                        BatchSampler.Batch batch = sampler.sample(i, 0);
                        Shape shape = new Shape(batch.batchSize(), batch.context());
                        NDArray logits = model.forward(ps, manager.create(batch.inputs(), shape), false);
                        sum += LmLoss.crossEntropy(logits, manager.create(batch.targets(), shape)).getFloat();
                    }
                }
                results.add(new ContextLoss(context, sum / n, null));
            }
            return new Evaluation(trained.checkpoint(), trained.state().step(), config.model().context(),
                    config.model().positional(), results, split);
        }
    }

    /**
     * The validation tokens: the run's own (its prepared shards' val split, or the tail of its text),
     * or the tail of {@code data} encoded with the checkpoint's tokenizer.
     */
    private static LmSplits validation(TrainedModel trained, Path data, Path run) {
        RunConfig config = trained.config();
        Tokenizer tokenizer = trained.tokenizer();
        if (data == null && config.data().isChat()) {
            throw new ConfigException(trained.checkpoint() + " was trained on chat examples (data.format: chat), not a text"
                    + " corpus: its answer-token loss is the run's val_loss; pass --data with a text file to measure loss by context");
        }
        if (data == null && config.data().prepared()) {
            var prepared = DataPreparation.prepare(config.data(), tokenizer, PrepareListener.SILENT);
            return new LmSplits(prepared.shards().train(), prepared.shards().val(), prepared.valBytes());
        }
        Path text = data == null ? config.data().path() : data.toAbsolutePath();
        if (data != null && !java.nio.file.Files.isRegularFile(text)) {
            throw new ConfigException("--data: file not found: " + data);
        }
        // The run's own text is read as training read it (a folder, JSON Lines, data.encoding, skipped files).
        String corpus = data == null ? TextCorpus.read(config.data(), PrepareListener.SILENT)
                : Corpus.read(text, config.data().newlines());
        try {
            TokenSplits splits = TokenSplits.split(tokenizer.encode(corpus), config.data().valFraction());
            return LmSplits.of(splits, tokenizer);
        } catch (ConfigException e) {
            throw new ConfigException((data == null ? "data.path " : "--data ") + text + ": " + e.getMessage()
                    + " of " + run + "'s checkpoint", e);
        }
    }

    private static String unavailable(DecoderLM model, int context, long valTokens, int batch, Device device) {
        if (context > model.maxLength()) {
            return "learned positions have a table of " + model.maxLength() + " rows (model.context); context "
                    + context + " would need rows up to position " + (context - 1);
        }
        if (context + 1 > valTokens) {
            return "the validation split has only " + valTokens + " tokens, fewer than context + 1 = " + (context + 1);
        }
        MemoryEstimate needed = MemoryEstimate.forward(model.config(), batch, context);
        double available = AvailableMemory.bytes(device);
        if (needed.totalBytes() > available) {
            return "a batch of " + batch + " windows of " + context + " tokens needs about "
                    + MemoryEstimate.bytes(needed.totalBytes()) + " but " + MemoryEstimate.bytes(available)
                    + " is available on " + device;
        }
        return null;
    }
}
