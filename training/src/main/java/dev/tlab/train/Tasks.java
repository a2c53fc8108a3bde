package dev.tlab.train;

import ai.djl.ndarray.NDManager;
import dev.tlab.config.ConfigException;
import dev.tlab.config.ModelSettings;
import dev.tlab.config.RunConfig;
import dev.tlab.data.CharTokenizer;
import dev.tlab.data.Corpus;
import dev.tlab.data.SyntheticSeq2Seq;
import dev.tlab.data.TokenSplits;
import dev.tlab.memory.AvailableMemory;
import dev.tlab.models.ModelConfig;

/** Builds the task a run config asks for, with its data, tokenizer and model. */
public final class Tasks {

    /** Fixed validation problems scored for exact match at each evaluation. */
    static final int EXACT_MATCH_PROBLEMS = 512;

    private Tasks() {}

    public static Task create(RunConfig run, NDManager manager) {
        return create(run, manager, null);
    }

    /**
     * @param baseVocab a checkpoint's vocabulary to build on (its ids kept, new characters
     *     appended), or null to fit the vocabulary to the data
     */
    public static Task create(RunConfig run, NDManager manager, String baseVocab) {
        var data = run.data();
        var train = run.train();
        ModelSettings model = run.model();
        switch (data.task()) {
            case LM, MLM -> {
                String text = Corpus.read(data.path());
                boolean masked = data.task() == dev.tlab.data.DataTask.MLM;
                CharTokenizer tokenizer = baseVocab == null ? CharTokenizer.fit(text)
                        : CharTokenizer.extend(masked ? withoutMask(baseVocab) : baseVocab, text);
                TokenSplits splits = TokenSplits.split(tokenizer.encode(text), data.valFraction());
                splits.requireWindow(model.context(), data.path().toString());
                if (!masked) {
                    return new LanguageModelTask(fitting(run, tokenizer.vocabSize(), manager), tokenizer, splits,
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
        return switch (data.task()) {
            case LM -> run.model().forVocabulary(CharTokenizer.fit(Corpus.read(data.path())).vocabSize());
            case MLM -> run.model().forVocabulary(MaskedLmTask.withMask(CharTokenizer.fit(Corpus.read(data.path()))).vocabSize());
            default -> run.model().forVocabulary(
                    new SyntheticSeq2Seq(data.task(), data.minLength(), data.maxLength(), run.train().seed()).tokenizer().vocabSize());
        };
    }

    /** The run's model for {@code vocabSize} tokens, refused before it is built if its step cannot fit in memory. */
    private static ModelConfig fitting(RunConfig run, int vocabSize, NDManager manager) {
        ModelConfig model = run.model().forVocabulary(vocabSize);
        AvailableMemory.require(model, run.train(), manager.getDevice());
        return model;
    }

    /** The corpus characters of an mlm vocabulary: the mask token is always last. */
    private static String withoutMask(String vocab) {
        return vocab.indexOf(MaskedLmTask.MASK) < 0 ? vocab : vocab.replace(String.valueOf(MaskedLmTask.MASK), "");
    }
}
