package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.data.MaskedWindows;
import dev.tlab.data.TokenSplits;
import dev.tlab.models.Encoder;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import java.util.Locale;

/** A bidirectional encoder on a corpus: BERT-style masked-character prediction. */
public final class MaskedLmTask implements Task {

    /** The mask token's character, appended to the corpus vocabulary. */
    public static final char MASK = '\u2588';

    private final Encoder model;
    private final CharTokenizer tokenizer;
    private final TokenSplits splits;
    private final MaskedWindows train;
    private final MaskedWindows val;

    /** @param tokenizer the corpus tokenizer plus {@link #MASK} as its last token */
    public MaskedLmTask(ModelConfig config, CharTokenizer tokenizer, TokenSplits splits, int batchSize,
            double maskFraction, long seed, NDManager manager) {
        this.model = Encoder.create(config, 0, manager);
        this.tokenizer = tokenizer;
        this.splits = splits;
        int symbols = tokenizer.vocabSize() - 1;
        this.train = new MaskedWindows(splits.train(), batchSize, config.context(), symbols, symbols, maskFraction, seed);
        this.val = new MaskedWindows(splits.val(), batchSize, config.context(), symbols, symbols, maskFraction, seed + 1);
    }

    /** The corpus vocabulary with the mask token added. */
    public static CharTokenizer withMask(CharTokenizer corpus) {
        return new CharTokenizer(java.util.stream.IntStream.concat(java.util.Arrays.stream(corpus.symbols()),
                java.util.stream.IntStream.of(MASK)).toArray());
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

    private NDArray loss(ParameterStore ps, NDManager manager, MaskedWindows.Batch b, boolean training) {
        Shape shape = new Shape(b.batchSize(), b.context());
        NDArray logits = model.forward(ps, manager.create(b.inputs(), shape), null, training);
        return LmLoss.crossEntropy(logits, manager.create(b.targets(), shape), manager.create(b.weights(), shape));
    }

    @Override
    public long tokensPerMicroBatch() {
        MaskedWindows.Batch probe = val.sample(0, 0);
        return (long) probe.batchSize() * probe.context();
    }

    @Override
    public dev.tlab.tokenize.Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "vocab %d (with mask) | train %,d / val %,d tokens", tokenizer.vocabSize(),
                splits.train().length, splits.val().length);
    }

    /** One validation window with its masked positions filled in by the model. */
    @Override
    public String samples(ParameterStore ps, NDManager manager, long seed) {
        MaskedWindows.Batch b = val.sample(seed, 0);
        int context = b.context();
        try (NDScope ignored = new NDScope()) {
            NDArray logits = model.forward(ps, manager.create(b.inputs(), new Shape(b.batchSize(), context)), null, false);
            long[] guesses = logits.argMax(-1).toLongArray();
            int[] shown = new int[context];
            int[] filled = new int[context];
            int[] truth = new int[context];
            for (int t = 0; t < context; t++) {
                shown[t] = (int) b.inputs()[t];
                filled[t] = b.weights()[t] > 0 ? (int) guesses[t] : (int) b.inputs()[t];
                truth[t] = (int) b.targets()[t];
            }
            return "=== masked input ===\n" + tokenizer.decode(shown) + "\n=== model's fill ===\n"
                    + tokenizer.decode(filled) + "\n=== original ===\n" + tokenizer.decode(truth) + "\n";
        }
    }
}
