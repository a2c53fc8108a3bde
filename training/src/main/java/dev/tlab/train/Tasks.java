package dev.tlab.train;

import ai.djl.ndarray.NDManager;
import dev.tlab.chat.ChatDataset;
import dev.tlab.config.DataConfig;
import dev.tlab.config.RunConfig;
import dev.tlab.data.LmSplits;
import dev.tlab.data.SyntheticSeq2Seq;
import dev.tlab.data.TokenSplits;
import dev.tlab.dataset.DataPreparation;
import dev.tlab.dataset.PrepareListener;
import dev.tlab.dataset.TextCorpus;
import dev.tlab.errors.ConfigException;
import dev.tlab.memory.AvailableMemory;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.models.ModelConfig;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.HfTokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;

/** Builds the task a run config asks for, with its data, tokenizer and model. */
public final class Tasks {

    /** Fixed validation problems scored for exact match at each evaluation. */
    static final int EXACT_MATCH_PROBLEMS = 512;

    private Tasks() {}

    public static Task create(RunConfig run, NDManager manager) {
        return create(run, manager, null, PrepareListener.SILENT);
    }

    /**
     * @param base a checkpoint's tokenizer to keep the ids of (a character vocabulary gets the
     *     data's new characters appended), or null to fit one to the data
     * @param preparing hears the preparation of token shards (BPE tokenizers), if any is needed
     */
    public static Task create(RunConfig run, NDManager manager, Tokenizer base, PrepareListener preparing) {
        var data = run.data();
        var train = run.train();
        ModelConfig model = run.model();
        if (data.isChat()) {
            ChatDataset chat = ChatDataset.load(data, model.context(), base);
            return new ChatTask(fitting(run, chat.tokenizer().vocabSize(), manager), chat, data.packing(),
                    train.batchSize(), train.seed(), run.sample(), manager);
        }
        if (data.prepared()) {
            // The vocabulary is known before the data: a config too large is refused before minutes of preparing.
            ModelConfig planned = fitting(run, base != null ? base.vocabSize() : preparedVocabulary(data), manager);
            DataPreparation.Result prepared = DataPreparation.prepare(data, base, preparing);
            prepared.shards().requireWindow(model.context());
            var splits = new LmSplits(prepared.shards().train(), prepared.shards().val(), prepared.valBytes());
            return new LanguageModelTask(planned.vocabSize() == prepared.tokenizer().vocabSize() ? planned
                    : fitting(run, prepared.tokenizer().vocabSize(), manager), prepared.tokenizer(), splits, train.batchSize(),
                    train.seed(), run.sample(), manager);
        }
        switch (data.task()) {
            case LM, MLM -> {
                String text = TextCorpus.read(data, preparing);
                boolean masked = data.task() == dev.tlab.data.DataTask.MLM;
                CharTokenizer tokenizer = base == null ? CharTokenizer.fit(text)
                        : CharTokenizer.extend(masked ? withoutMask(characters(base, data)) : characters(base, data), text);
                TokenSplits splits = TokenSplits.split(tokenizer.encode(text), data.valFraction());
                splits.requireWindow(model.context(), data.path().toString());
                if (!masked) {
                    return new LanguageModelTask(fitting(run, tokenizer.vocabSize(), manager), tokenizer,
                            LmSplits.of(splits, tokenizer),
                            train.batchSize(), train.seed(), run.sample(), manager);
                }
                if (text.indexOf(MaskedLmTask.MASK) >= 0) {
                    throw new ConfigException(data.path() + " contains the mask character U+2588, which mlm reserves");
                }
                CharTokenizer withMask = MaskedLmTask.withMask(tokenizer);
                return new MaskedLmTask(fitting(run, withMask.vocabSize(), manager), withMask, splits, train.batchSize(),
                        data.maskFraction(), train.seed(), manager);
            }
            default -> {
                // The synthetic tasks' vocabulary is fixed by the task; a checkpoint's is compared later.
                var trainProblems = new SyntheticSeq2Seq(data.task(), data.minLength(), data.maxLength(), train.seed());
                var valProblems = new SyntheticSeq2Seq(data.task(), data.minLength(), data.maxLength(), train.seed() + 1);
                int vocab = trainProblems.tokenizer().vocabSize();
                return new Seq2SeqTask(fitting(run, vocab, manager), trainProblems, valProblems, train.batchSize(),
                        EXACT_MATCH_PROBLEMS, run.sample(), manager);
            }
        }
    }

    /** The model {@link #create} would build, its vocabulary read from the data, with nothing built or allocated. */
    public static ModelConfig plannedModel(RunConfig run) {
        var data = run.data();
        if (data.isChat()) {
            return run.model().forVocabulary(ChatDataset.vocabulary(data));
        }
        if (data.prepared()) {
            return run.model().forVocabulary(preparedVocabulary(data));
        }
        return switch (data.task()) {
            case LM -> run.model().forVocabulary(CharTokenizer.fit(TextCorpus.read(data, PrepareListener.SILENT)).vocabSize());
            case MLM -> run.model().forVocabulary(
                    MaskedLmTask.withMask(CharTokenizer.fit(TextCorpus.read(data, PrepareListener.SILENT))).vocabSize());
            default -> run.model().forVocabulary(
                    new SyntheticSeq2Seq(data.task(), data.minLength(), data.maxLength(), run.train().seed()).tokenizer().vocabSize());
        };
    }

    /** The vocabulary size of a BPE tokenizer, known without reading the data. */
    private static int preparedVocabulary(DataConfig data) {
        return switch (data.tokenizer()) {
            case "gpt2" -> Gpt2Tokenizer.VOCAB_SIZE;
            case "bpe" -> data.vocabSize();
            default -> {
                try (HfTokenizer tokenizer = Tokenizers.huggingFace(data.tokenizerFile())) {
                    yield tokenizer.vocabSize();
                }
            }
        };
    }

    /** The run's model for {@code vocabSize} tokens, refused before it is built if its step cannot fit in memory. */
    private static ModelConfig fitting(RunConfig run, int vocabSize, NDManager manager) {
        ModelConfig model = run.model().forVocabulary(vocabSize);
        AvailableMemory.require(MemoryEstimate.of(model, run.train(), run.finetune()), manager.getDevice());
        return model;
    }

    /** The corpus characters of an mlm vocabulary: the mask token is always last. */
    private static int[] withoutMask(int[] symbols) {
        return java.util.Arrays.stream(symbols).filter(c -> c != MaskedLmTask.MASK).toArray();
    }

    /** A checkpoint's character vocabulary; a checkpoint of another tokenizer cannot continue as characters. */
    private static int[] characters(Tokenizer base, DataConfig data) {
        return ((CharTokenizer) Tokenizers.requireKind(base, data.tokenizer())).symbols();
    }
}
