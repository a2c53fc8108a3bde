package dev.tlab.inference;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.VocabularyRows;
import dev.tlab.checkpoint.WeightLoader;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.data.SyntheticSeq2Seq;
import dev.tlab.errors.ConfigException;
import dev.tlab.finetune.LoraSetup;
import dev.tlab.hf.HfFolder;
import dev.tlab.lora.Lora;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.EncoderDecoder;
import dev.tlab.models.ModelType;
import dev.tlab.models.TokenModel;
import dev.tlab.sample.Sampler;
import dev.tlab.sample.Seq2SeqDecoder;
import dev.tlab.sample.TokenPicker;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.List;

/**
 * A model rebuilt from a checkpoint, ready to generate: a decoder continues text, an
 * encoder-decoder answers a source. Owns its native memory; close it.
 */
public final class TrainedModel implements AutoCloseable {

    private final NDManager manager;
    private final TokenModel model;
    private final Tokenizer tokenizer;
    private final CheckpointState state;
    private final RunConfig config;
    private final Path checkpoint;
    private final Lora lora;

    private TrainedModel(NDManager manager, TokenModel model, Tokenizer tokenizer, CheckpointState state,
            RunConfig config, Path checkpoint, Lora lora) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.state = state;
        this.config = config;
        this.checkpoint = checkpoint;
        this.lora = lora;
    }

    /** @param path a run directory, its checkpoints directory, or one checkpoint */
    public static TrainedModel load(Path path, Device device) {
        return load(path, device, note -> {});
    }

    /**
     * @param say hears which checkpoint is used, and why any newer one was passed over
     */
    public static TrainedModel load(Path path, Device device, java.util.function.Consumer<String> say) {
        CheckpointDirectory.Found found = CheckpointDirectory.locate(path);
        Path checkpoint = found.checkpoint();
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        RunConfig run = ConfigLoader.fromTree(state.config(), checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(),
                List.of());
        ModelType type = run.model().type();
        if (type == ModelType.ENCODER) {
            throw new ConfigException(checkpoint + " holds an encoder (data.task: mlm), which does not generate;"
                    + " tlab sample takes decoder and encoder_decoder checkpoints");
        }
        Tokenizer tokenizer = Tokenizers.load(state.tokenizer().kind(), state.tokenizer().vocabSize(),
                state.tokenizer().fingerprint(), state.vocabulary(), checkpoint);
        NDManager manager = NDManager.newBaseManager(device);
        try {
            var config = run.model().forVocabulary(tokenizer.vocabSize());
            TokenModel model = type == ModelType.ENCODER_DECODER
                    ? EncoderDecoder.create(config, manager)
                    : DecoderLM.create(config, manager);
            Lora lora = null;
            if (state.base() == null) {
                WeightLoader.loadWeights(checkpoint, model.namedParameters(), manager);
            } else {
                // A LoRA run's checkpoint holds the adapter; the weights under it are its base's.
                state.base().verify();
                WeightLoader.loadWeights(state.base().weights(HfFolder::open), model.namedParameters(), manager, VocabularyRows.IDENTITY);
                lora = LoraSetup.attach(run.finetune().lora(), model, manager);
                WeightLoader.loadWeights(checkpoint, lora.parameters(), manager);
                say.accept("LoRA adapter over " + state.base().path());
            }
            found.skipped().forEach(skipped -> say.accept("skipping incomplete checkpoint " + skipped));
            say.accept("using checkpoint " + checkpoint + " (step " + state.step() + ")");
            return new TrainedModel(manager, model, tokenizer, state, run, checkpoint, lora);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The tokenizer the checkpoint's ids belong to. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public boolean isEncoderDecoder() {
        return model instanceof EncoderDecoder;
    }

    /** Continues text; decoder checkpoints only. */
    public Sampler sampler() {
        if (!(model instanceof DecoderLM decoder)) {
            throw new IllegalStateException("an encoder-decoder answers a source: use answer()");
        }
        return new Sampler(decoder, new ParameterStore(manager, false), manager, tokenizer);
    }

    /** A conversation with this decoder under {@code template}; decoder checkpoints only. Close it. */
    public dev.tlab.chat.ChatSession chat(dev.tlab.chat.ChatTemplate template) {
        return new dev.tlab.chat.ChatSession(decoder(), new ParameterStore(manager, false), manager, tokenizer, template);
    }

    /**
     * The encoder-decoder's answer to {@code source}, decoded token by token until the end marker or
     * {@code maxTokens}; encoder-decoder checkpoints only.
     */
    public String answer(String source, TokenPicker picker, int maxTokens, boolean cached) {
        if (!(model instanceof EncoderDecoder encoderDecoder)) {
            throw new IllegalStateException("a decoder continues text: use sampler()");
        }
        if (source.isEmpty()) {
            throw new ConfigException("--prompt: an encoder-decoder needs a non-empty source to answer");
        }
        int[] ids;
        try {
            ids = tokenizer.encode(source);
        } catch (ConfigException e) {
            // The vocabulary after the pad, start and end markers: what a source may hold.
            String symbols = ((CharTokenizer) tokenizer).vocab().substring(SyntheticSeq2Seq.EOS + 1);
            throw new ConfigException("--prompt: " + e.getMessage() + " (" + symbols + ")");
        }
        int context = encoderDecoder.config().context();
        if (ids.length > context) {
            throw new ConfigException("--prompt: the source has " + ids.length + " tokens, more than model.context = "
                    + context);
        }
        long[] tokens = new long[ids.length];
        long[] valid = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            tokens[i] = ids[i];
            valid[i] = 1;
        }
        int[][] answers = new Seq2SeqDecoder(encoderDecoder, new ParameterStore(manager, false), manager)
                .cached(cached)
                .decode(tokens, valid, 1, ids.length, SyntheticSeq2Seq.BOS, SyntheticSeq2Seq.EOS, maxTokens, picker);
        return tokenizer.decode(answers[0]);
    }

    public TokenModel model() {
        return model;
    }

    /** The model as a decoder LM; a clear error for an encoder-decoder checkpoint. */
    public DecoderLM decoder() {
        if (!(model instanceof DecoderLM decoder)) {
            throw new ConfigException(checkpoint + " holds an encoder_decoder model; this needs a decoder (data.task: lm)");
        }
        return decoder;
    }

    public CheckpointState state() {
        return state;
    }

    /** The config the checkpoint was trained with. */
    public RunConfig config() {
        return config;
    }

    public Path checkpoint() {
        return checkpoint;
    }

    /** A LoRA run's adapters, attached to {@link #model()}; null for a checkpoint of a whole model. */
    public Lora lora() {
        return lora;
    }

    @Override
    public void close() {
        manager.close();
    }
}
