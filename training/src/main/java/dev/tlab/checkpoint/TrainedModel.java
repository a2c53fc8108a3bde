package dev.tlab.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.data.CharTokenizer;
import dev.tlab.models.DecoderLM;
import dev.tlab.sample.Sampler;
import java.nio.file.Path;
import java.util.List;

/** A model rebuilt from a checkpoint, ready to sample. Owns its native memory; close it. */
public final class TrainedModel implements AutoCloseable {

    private final NDManager manager;
    private final DecoderLM model;
    private final CharTokenizer tokenizer;
    private final CheckpointState state;
    private final Path checkpoint;

    private TrainedModel(NDManager manager, DecoderLM model, CharTokenizer tokenizer, CheckpointState state, Path checkpoint) {
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.state = state;
        this.checkpoint = checkpoint;
    }

    /** @param path a run directory, its checkpoints directory, or one checkpoint */
    public static TrainedModel load(Path path, Device device) {
        Path checkpoint = Checkpoints.find(path);
        CheckpointState state = Checkpoints.readState(checkpoint);
        RunConfig run = ConfigLoader.parse(state.config(), checkpoint + "/state.json", null, "checkpoint", List.of());
        CharTokenizer tokenizer = new CharTokenizer(state.vocab());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            DecoderLM model = DecoderLM.create(run.model().withVocabSize(tokenizer.vocabSize()), manager);
            Checkpoints.loadWeights(checkpoint, model.namedParameters(), manager);
            return new TrainedModel(manager, model, tokenizer, state, checkpoint);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public Sampler sampler() {
        return new Sampler(model, new ParameterStore(manager, false), manager, tokenizer);
    }

    public DecoderLM model() {
        return model;
    }

    public CheckpointState state() {
        return state;
    }

    public Path checkpoint() {
        return checkpoint;
    }

    @Override
    public void close() {
        manager.close();
    }
}
