package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.FinetuneConfig.VocabPolicy;
import dev.tlab.config.RunConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelConfig;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.LrSchedule;
import dev.tlab.positional.PositionalKind;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Where a run's weights and optimizer state come from: a fresh model, the newest complete
 * checkpoint of the same run (resume: everything restored, so the run continues bit-identically),
 * or a checkpoint of another run (fine-tune: weights only, unless asked for the optimizer too).
 */
public final class RunStart {

    private enum Mode { SCRATCH, RESUME, FINETUNE }

    /** Settings a resume may change without it being worth a note (a thread count gets its own, see CpuThreads). */
    private static final Set<String> QUIET_KEYS = Set.of("name", "output.dir", "train.threads");

    private final Mode mode;
    private final Path checkpoint;
    private final CheckpointState state;
    private final RunConfig saved;
    private final List<String> skipped;
    /** Weights from elsewhere than the checkpoint's own file (a Hugging Face folder), or null. */
    private final TensorSource foreign;
    /** A LoRA adapter to start from (tlab finetune --adapter), by tlab name, or null. */
    private TensorSource adapter;
    /** Reads a LoRA run's base that is a model folder. */
    private Function<Path, TensorSource> folders = dir -> {
        throw new ConfigException("the LoRA base " + dir + " is a model folder, which this command cannot read");
    };

    private RunStart(Mode mode, CheckpointDirectory.Found found) {
        this.mode = mode;
        this.checkpoint = found == null ? null : found.checkpoint();
        this.state = found == null ? null : CheckpointDirectory.readState(found.checkpoint());
        this.saved = found == null ? null : ConfigLoader.fromTree(state.config(),
                checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(), List.of());
        this.skipped = found == null ? List.of() : found.skipped();
        this.foreign = null;
    }

    private RunStart(Path source, CheckpointState state, TensorSource weights) {
        this.mode = Mode.FINETUNE;
        this.checkpoint = source;
        this.state = state;
        this.saved = ConfigLoader.fromTree(state.config(), source.toString(), List.of());
        this.skipped = List.of();
        this.foreign = weights;
    }

    public static RunStart scratch() {
        return new RunStart(Mode.SCRATCH, null);
    }

    /** @param path a run directory (its newest complete checkpoint) or one checkpoint */
    public static RunStart resume(Path path) {
        return new RunStart(Mode.RESUME, CheckpointDirectory.locate(path));
    }

    /**
     * {@link #resume(Path)}, reading a LoRA run's base with {@code folders} when it is a model folder
     * rather than a checkpoint (the Hugging Face reader: see {@code HfImport.resumeFrom}).
     */
    public static RunStart resume(Path path, Function<Path, TensorSource> folders) {
        RunStart start = resume(path);
        start.folders = folders;
        return start;
    }

    /** @param path a checkpoint or a run directory (its newest complete checkpoint) */
    public static RunStart finetune(Path path) {
        return new RunStart(Mode.FINETUNE, CheckpointDirectory.locate(path));
    }

    /**
     * A fine-tune from weights with no tlab checkpoint around them (a model folder read in place),
     * described by {@code state} as an import of it would be; its tokenizer files lie in {@code source}.
     */
    public static RunStart finetune(Path source, CheckpointState state, TensorSource weights) {
        return new RunStart(source, state, weights);
    }

    /**
     * Starts a LoRA fine-tune's adapter from {@code weights} (a peft adapter read for this base)
     * instead of A random and B zero.
     */
    public RunStart withAdapter(TensorSource weights) {
        if (mode != Mode.FINETUNE) {
            throw new IllegalStateException("an adapter starts a fine-tune");
        }
        this.adapter = weights;
        return this;
    }

    public boolean isScratch() {
        return mode == Mode.SCRATCH;
    }

    /** Whether this run continues the checkpoint's own run (in its directory) rather than starting one. */
    public boolean isResume() {
        return mode == Mode.RESUME;
    }

    /** The checkpoint this run starts from, or null. */
    public Path checkpoint() {
        return checkpoint;
    }

    /** The saved state this run starts from, or null. */
    public CheckpointState state() {
        return state;
    }

    /** The config the checkpoint was trained with, or null. */
    public RunConfig savedConfig() {
        return saved;
    }

    /**
     * The checkpoint's tokenizer, whose ids the task must keep (a character vocabulary may grow by
     * {@code finetune.vocab: extend}), or null to build one from the config and the data.
     */
    public Tokenizer baseTokenizer() {
        return state == null ? null : Tokenizers.load(state.tokenizer().kind(), state.tokenizer().vocabSize(),
                state.tokenizer().fingerprint(), state.vocabulary(), checkpoint);
    }

    /**
     * The config a resume trains with. With {@code train.extend: constant} and a cosine that would end
     * elsewhere than the checkpoint's run's (more {@code train.steps}, {@code train.decay_steps} left
     * as it was), {@code train.decay_steps} is pinned to the old end: the schedule goes on as the run
     * had it, flat at {@code min_lr} past its end. Anything else is returned as it is.
     */
    public RunConfig extend(RunConfig config) {
        if (mode != Mode.RESUME || !config.train().extendsAtFinalRate()
                || config.train().decaySteps() != saved.train().decaySteps()
                || config.train().cosineEnd() == saved.train().cosineEnd()) {
            return config;
        }
        return ConfigLoader.withOverrides(config, List.of("train.decay_steps=" + saved.train().cosineEnd()));
    }

    /**
     * The note for a resume whose schedule ends elsewhere than the checkpoint's run's: the rate of
     * the last step trained and of the next, and how {@code train.extend} decided; null when the
     * schedule is the same.
     */
    private String scheduleNote(RunConfig config) {
        TrainConfig then = saved.train();
        TrainConfig now = config.train();
        if (now.cosineEnd() == then.cosineEnd() && now.steps() == then.steps()) {
            return null;
        }
        double last = schedule(then).at(state.step() - 1);
        double next = schedule(now).at(state.step());
        String rates = String.format(Locale.ROOT, "the learning rate goes from %.2e at step %d to %.2e at step %d",
                last, state.step(), next, state.step() + 1);
        if (now.cosineEnd() == then.cosineEnd()) {
            return "train.steps " + then.steps() + " -> " + now.steps() + ": the cosine still ends at step "
                    + now.cosineEnd() + (now.extendsAtFinalRate() && now.steps() > now.cosineEnd()
                    ? " (train.extend: constant), the added steps at min_lr; " : "; ") + rates;
        }
        String note = "the cosine now ends at step " + now.cosineEnd() + " instead of " + then.cosineEnd() + ": " + rates;
        if (now.steps() != then.steps() && now.decaySteps() == 0) {
            note = "train.steps " + then.steps() + " -> " + now.steps() + " re-stretches the cosine (train.extend:"
                    + " restretch): " + rates + "; --set train.extend=constant continues at the final rate instead";
        }
        return note;
    }

    private static LrSchedule schedule(TrainConfig train) {
        return new LrSchedule(train.lr(), train.minLr(), train.warmup(), train.cosineEnd());
    }

    /**
     * Where training continues, and the history that {@code state.json} carries on; {@code
     * optimizer} is the AdamW state to continue ({@link AdamW.State#FRESH} unless resuming or asked to);
     * {@code base} is a LoRA run's frozen base, null for other runs.
     */
    public record Progress(long step, long tokensSeen, double valLoss, double bestValLoss, long bestValStep,
            double lossScale, int lossScaleGoodSteps, String parent, AdamW.State optimizer, double wallSeconds,
            BaseModel base) {}

    /** {@link #load(RunConfig, ModelConfig, Tokenizer, Map, Map, Map, NDManager, Consumer)} of a run that trains the model itself. */
    public Progress load(RunConfig config, ModelConfig model, Tokenizer tokenizer, Map<String, Parameter> parameters,
            Map<String, Parameter> trainable, NDManager manager, Consumer<String> say) {
        return load(config, model, tokenizer, parameters, parameters, trainable, manager, say);
    }

    /**
     * Checks the model and vocabulary against the checkpoint, then loads weights into the model built
     * from {@code config} and reads the optimizer state (when resuming or asked to) for AdamW. A LoRA
     * run's checkpoint holds only its adapter: resuming it loads the base it records (refused if the
     * base changed since) and then the adapter; a LoRA fine-tune loads the checkpoint as its base.
     *
     * @param model the config of the model the task built
     * @param tokenizer the task's tokenizer
     * @param base the model's own parameters by name
     * @param parameters what this run's checkpoints hold: {@code base}, or a LoRA run's adapter
     * @param trainable the parameters AdamW will train, by name
     * @param say where notes go (skipped checkpoints, changed settings, added characters)
     * @throws ConfigException listing every difference that makes the checkpoint unusable
     */
    public Progress load(RunConfig config, ModelConfig model, Tokenizer tokenizer, Map<String, Parameter> base,
            Map<String, Parameter> parameters, Map<String, Parameter> trainable, NDManager manager, Consumer<String> say) {
        boolean lora = config.finetune().isLora();
        if (mode == Mode.SCRATCH) {
            if (lora) {
                throw new ConfigException("finetune.method: lora trains an adapter over a trained model; start it with"
                        + " tlab finetune CONFIG --from BASE (a checkpoint or a Hugging Face folder)");
            }
            return new Progress(0, 0, Double.NaN, Double.NaN, 0, 0, 0, null, AdamW.State.FRESH, 0, null);
        }
        BaseModel recorded = state.base();
        if (mode == Mode.FINETUNE && recorded != null) {
            throw new ConfigException(checkpoint + " holds a LoRA adapter over " + recorded.path() + ", not a whole model:"
                    + " continue its run with tlab resume, fine-tune from the base, or export the merged model"
                    + " (tlab export RUN --format hf --merge OUT) and fine-tune from that");
        }
        if (mode == Mode.RESUME && (recorded != null) != lora) {
            throw new ConfigException("finetune.method: " + checkpoint + " belongs to a "
                    + (recorded != null ? "lora" : "full") + " run, and a resume keeps its method; set it back to "
                    + (recorded != null ? "lora" : "full"));
        }
        skipped.forEach(s -> say.accept("skipping incomplete checkpoint " + s));
        ModelConfig before = saved.model().forVocabulary(state.tokenizer().vocabSize());
        List<String> problems = new ArrayList<>();
        PositionRows positions = PositionRows.SAME;
        if (mode == Mode.FINETUNE && model.context() != before.context()) {
            // Only a learned position table depends on the context: a fine-tune may cut it to a shorter one,
            // and any other scheme may train at any context.
            if (model.positional() == PositionalKind.LEARNED && model.context() > before.context()) {
                problems.add("model.context: " + model.context() + " is longer than the checkpoint's " + before.context()
                        + "; a fine-tune can shorten the context, not lengthen it (set model.context <= " + before.context() + ")");
            } else if (model.positional() == PositionalKind.LEARNED) {
                positions = new PositionRows(before.context(), model.context());
            }
            before = before.toBuilder().context(model.context()).build();
        }
        problems.addAll(Compatibility.architecture(before, model));
        boolean characters = state.vocabulary() != null && tokenizer instanceof CharTokenizer;
        int[] now = characters ? ((CharTokenizer) tokenizer).symbols() : null;
        String vocabDiff = characters ? Compatibility.vocabulary(state.vocabulary(), now)
                : Compatibility.tokenizer(state.tokenizer(), tokenizer);
        VocabularyRows rows = characters ? VocabularyRows.between(state.vocabulary(), now) : VocabularyRows.IDENTITY;
        boolean extend = mode == Mode.FINETUNE && config.finetune().vocab() == VocabPolicy.EXTEND
                && rows.added().length > 0 && now.length == state.vocabulary().length + rows.added().length;
        if (lora && extend) {
            throw new ConfigException("finetune.method: lora keeps the base's vocabulary, and the data has "
                    + rows.added().length + " characters it lacks (" + Compatibility.printable(rows.added())
                    + "); their rows would stay untrained. Use finetune.method full, or data the base covers");
        }
        if (vocabDiff != null && !extend) {
            problems.add(vocabDiff + (mode == Mode.FINETUNE && config.finetune().vocab() == VocabPolicy.REJECT
                    ? " (finetune.vocab is reject; set it to extend to add rows for them)" : ""));
        }
        String what = mode == Mode.RESUME ? "resume" : "fine-tune";
        if (!problems.isEmpty()) {
            throw new ConfigException("cannot " + what + " from " + checkpoint + ": the model or vocabulary differs from the checkpoint's: "
                    + String.join("; ", problems));
        }
        if (mode == Mode.RESUME && state.step() >= config.train().steps()) {
            throw new ConfigException("nothing to resume: " + checkpoint + " is at step " + state.step()
                    + " and train.steps is " + config.train().steps() + "; raise it (--set train.steps=N) to train further");
        }
        if (mode == Mode.RESUME) {
            List<String> changed = Compatibility.settings(saved.tree(), config.tree(), QUIET_KEYS);
            if (!changed.isEmpty()) {
                say.accept("resuming with changed settings (the run will not match an uninterrupted one): "
                        + String.join(", ", changed));
            }
            String schedule = scheduleNote(config);
            if (schedule != null) {
                say.accept(schedule);
            }
        }
        if (extend) {
            say.accept("vocabulary: " + rows.added().length + " new characters (" + Compatibility.printable(rows.added())
                    + ") get fresh rows in the token table" + (parameters.containsKey("head.weight") ? " and head" : "")
                    + "; the checkpoint's " + state.vocabulary().length + " rows are kept");
        }
        if (foreign != null && config.finetune().resumeOptimizer()) {
            throw new ConfigException("finetune.resume_optimizer: " + checkpoint + " is a Hugging Face folder, which holds"
                    + " no optimizer state; fine-tune with a fresh optimizer");
        }
        if (positions != PositionRows.SAME && model.positional() == PositionalKind.LEARNED) {
            say.accept("model.context: " + positions.saved() + " -> " + positions.now() + ": the learned position table keeps"
                    + " its first " + positions.now() + " rows");
        }
        if (lora && mode == Mode.FINETUNE && config.finetune().resumeOptimizer()) {
            throw new ConfigException("finetune.resume_optimizer: a lora run trains a new adapter, which the base's"
                    + " AdamW moments do not belong to; fine-tune with a fresh optimizer");
        }
        BaseModel baseModel = null;
        if (recorded != null) {
            recorded.verify();
            WeightLoader.loadWeights(recorded.weights(folders), base, manager, rows, positions);
            WeightLoader.loadWeights(checkpoint, parameters, manager, rows, PositionRows.SAME);
            baseModel = recorded;
        } else {
            WeightLoader.loadWeights(foreign != null ? foreign : TensorSource.of(SafeTensors.map(
                    checkpoint.resolve(CheckpointDirectory.MODEL_FILE))), base, manager, rows, positions);
            baseModel = lora ? BaseModel.of(checkpoint, state.config()) : null;
        }
        if (adapter != null) {
            if (!lora) {
                throw new ConfigException("--adapter needs finetune.method lora");
            }
            WeightLoader.loadWeights(adapter, parameters, manager, VocabularyRows.IDENTITY, PositionRows.SAME);
            say.accept("adapter from " + adapter.describe());
        }
        AdamW.State optimizer = mode == Mode.RESUME || config.finetune().resumeOptimizer()
                ? readMoments(trainable, rows, positions, manager, say) : AdamW.State.FRESH;
        say.accept(what + " from " + checkpoint + " (step " + state.step() + ")");
        if (mode == Mode.RESUME) {
            return new Progress(state.step(), state.tokensSeen(), state.valLoss(), state.bestValLoss(),
                    state.bestValStep(), state.lossScale(), state.lossScaleGoodSteps(), state.parent(), optimizer, state.wallSeconds(),
                    baseModel);
        }
        return new Progress(0, 0, Double.NaN, Double.NaN, 0, 0, 0,
                checkpoint.toAbsolutePath().normalize() + " (step " + state.step() + ")", optimizer, 0, baseModel);
    }

    private AdamW.State readMoments(Map<String, Parameter> trainable, VocabularyRows rows, PositionRows positions,
            NDManager manager, Consumer<String> say) {
        Map<String, float[]> means = new HashMap<>();
        Map<String, float[]> variances = new HashMap<>();
        List<String> missing = new ArrayList<>();
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> saved = WeightLoader.readMoments(checkpoint, scratch);
            for (var entry : trainable.entrySet()) {
                String name = entry.getKey();
                NDArray m = saved.get(CheckpointDirectory.MEAN_PREFIX + name);
                NDArray v = saved.get(CheckpointDirectory.VARIANCE_PREFIX + name);
                NDArray target = entry.getValue().getArray();
                if (m == null || v == null) {
                    missing.add(name);
                } else if (rows.applies(name, m.getShape(), target.getShape())) {
                    means.put(name, rows.remap(m, target, true));
                    variances.put(name, rows.remap(v, target, true));
                } else if (positions.applies(name, m.getShape(), target.getShape())
                        && positions.applies(name, v.getShape(), target.getShape())) {
                    means.put(name, positions.cut(m).toFloatArray());
                    variances.put(name, positions.cut(v).toFloatArray());
                } else if (!m.getShape().equals(target.getShape()) || !v.getShape().equals(target.getShape())) {
                    throw new ConfigException(checkpoint.resolve(CheckpointDirectory.OPTIMIZER_FILE) + ": moments of '" + name
                            + "' have shape " + m.getShape() + ", the parameter " + target.getShape());
                } else {
                    means.put(name, m.toFloatArray());
                    variances.put(name, v.toFloatArray());
                }
            }
        }
        if (!missing.isEmpty()) {
            say.accept("optimizer: no saved moments for " + missing + " (frozen when saved?); they start at zero");
        }
        return new AdamW.State(state.optimizerSteps(), means, variances);
    }
}
