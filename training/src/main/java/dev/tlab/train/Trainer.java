package dev.tlab.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunCheckpoints;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.RunConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.dataset.ConsoleProgress;
import dev.tlab.dataset.PrepareListener;
import dev.tlab.errors.ConfigException;
import dev.tlab.finetune.LoraSetup;
import dev.tlab.lora.Lora;
import dev.tlab.memory.AvailableMemory;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.metrics.RunSummary;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.Freeze;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.profile.ProfileTable;
import dev.tlab.profile.StepProfiler;
import dev.tlab.train.listeners.CheckpointWriter;
import dev.tlab.train.listeners.Evaluator;
import dev.tlab.train.listeners.LossGuard;
import dev.tlab.train.listeners.LossPlotter;
import dev.tlab.train.listeners.MetricsWriter;
import dev.tlab.train.listeners.Profiler;
import dev.tlab.train.listeners.ProgressReporter;
import dev.tlab.train.listeners.SampleWriter;
import dev.tlab.train.listeners.TensorBoardWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains any {@link Task} from a {@link RunConfig}: builds the task, precision and optimizer,
 * restores a checkpoint if there is one, then runs the step loop. Everything besides the step
 * itself (evaluation, metrics, progress, plots, checkpoints, profiling, samples) is a
 * {@link TrainingListener}.
 */
public final class Trainer {

    private RunConfig config;
    private final PrintWriter console;
    private final boolean interactive;
    private final List<TrainingListener> extraListeners = new ArrayList<>();
    private final List<StepCallback> callbacks = new ArrayList<>();
    private final List<java.util.function.Consumer<TokenModel>> endCallbacks = new ArrayList<>();
    private RunStart origin = RunStart.scratch();
    private StopRequest stop = new StopRequest();
    private Profiler profiler;
    private MemoryEstimate estimate;

    /** What a finished run reports; {@code tokensPerStep} is the training tokens one step consumes. */
    public record Result(
            Path runDir, ModelConfig model, long steps, long tokensPerStep, double trainLoss, double valLoss,
            double tokensPerSecond, String sample, Map<String, Double> evalMetrics) {}

    /** Called after every optimizer step with the steps done and the manager that owns the model. */
    @FunctionalInterface
    public interface StepCallback {
        void afterStep(long done, NDManager manager);
    }

    /**
     * @param console where progress goes, or null for a silent run
     * @param interactive whether the console is a terminal (redraw the bar in place)
     */
    public Trainer(RunConfig config, PrintWriter console, boolean interactive) {
        this.config = config;
        this.console = console;
        this.interactive = interactive;
    }

    /** Adds a listener; it hears events after the trainer's own. */
    public Trainer listen(TrainingListener listener) {
        extraListeners.add(listener);
        return this;
    }

    /** Starts from a checkpoint: {@link RunStart#resume} or {@link RunStart#finetune}. */
    public Trainer from(RunStart start) {
        this.origin = start;
        this.config = start.extend(config);
        return this;
    }

    /**
     * Stops the run, or writes a checkpoint, when {@code request} asks: checked after every step. A
     * stop writes a step checkpoint of the last finished step, leaves no done.json (the run is
     * not finished) and makes {@link #fit} throw {@link TrainingStopped}.
     */
    public Trainer stopOn(StopRequest request) {
        this.stop = request;
        return this;
    }

    /** @throws TrainingStopped when a {@link #stopOn stop request} ends the run before its last step */
    public Result fit() {
        TrainConfig train = config.train();
        Device device = Devices.resolve(train.device());
        // A checkpoint that does not fit is refused before the start-up lines; its notes follow them.
        List<String> notes = new ArrayList<>();
        int threads = CpuThreads.apply(train.threads(), origin.isResume() ? origin.state().threads() : 0, notes::add);
        // Before the task is built: bf16 on a JNI library that cannot hold it is refused in one line.
        TrainingPrecision.require(train);
        Path runDir = config.runDir();
        Engine.getInstance().setRandomSeed((int) train.seed());
        try (NDManager manager = NDManager.newBaseManager(device); Listeners listeners = new Listeners()) {
            refuseToOverwrite(runDir);
            Task task = Tasks.create(config, manager, origin.baseTokenizer(), console == null ? PrepareListener.SILENT
                    : new ConsoleProgress(console, interactive));
            estimate = MemoryEstimate.of(task.model().config(), train, config.finetune());
            Map<String, Parameter> base = task.model().namedParameters();
            // A LoRA run trains (and its checkpoints hold) only the adapter; the base stays frozen.
            Lora lora = LoraSetup.attach(config.finetune(), task.model(), manager);
            Map<String, Parameter> parameters = lora == null ? base : lora.parameters();
            Map<String, Parameter> trainable;
            if (lora == null) {
                trainable = Freeze.apply(base, config.finetune().freeze());
            } else {
                LoraSetup.freeze(base);
                trainable = lora.parameters();
            }
            RunStart.Progress progress = origin.load(config, task.model().config(), task.tokenizer(), base, parameters,
                    trainable, manager, notes::add);
            if (lora != null) {
                LoraSetup.holdBase(base, config.finetune().basePrecision());
            }
            describe(device, threads, task, base, trainable);
            if (lora != null) {
                say(LoraSetup.describe(lora, base, config.finetune()));
            }
            notes.forEach(this::say);
            AdamW optimizer = new AdamW(trainable, train.beta1(), train.beta2(), train.eps(), train.weightDecay(),
                    progress.optimizer());
            TrainingPrecision precision = TrainingPrecision.of(train, manager, optimizer);
            precision.restore(progress.lossScale(), progress.lossScaleGoodSteps());
            createRunDir(runDir);
            say("outputs: " + runDir.toAbsolutePath());
            var checkpoints = new RunCheckpoints(config, task.tokenizer(), parameters, optimizer, precision, progress);
            Ends ends = addListeners(listeners, task, precision, checkpoints, progress.step(), manager, device);

            var step = new TrainingStep(task, precision, optimizer, train, manager, listeners);
            RunEnd end = loop(step, train, progress, task.tokensPerMicroBatch() * train.gradAccum(), listeners, ends);
            endCallbacks.forEach(callback -> callback.accept(task.model()));
            new RunSummary(train.steps(), end.trainLoss(), end.last().valLoss(), ends.checkpoints().bestValLoss(),
                    end.trainTokensPerSecond(), end.wallSeconds(), end.last().metrics().get(Task.VAL_BPB)).write(runDir);
            return new Result(runDir, task.model().config(), train.steps(), end.tokensPerStep(), end.trainLoss(),
                    end.last().valLoss(), end.trainTokensPerSecond(), ends.samples().samples(), end.last().metrics());
        } catch (EngineException e) {
            throw AvailableMemory.explain(e, estimate, device);
        }
    }

    /** The listeners whose results the end of a run reads. */
    private record Ends(Evaluator evaluator, CheckpointWriter checkpoints, SampleWriter samples) {}

    /** The run's own listeners, in the order they hear events, then the ones added with {@link #listen}. */
    private Ends addListeners(Listeners listeners, Task task, TrainingPrecision precision, RunCheckpoints checkpoints,
            long firstStep, NDManager manager, Device device) {
        TrainConfig train = config.train();
        Path runDir = config.runDir();
        profiler = new Profiler(StepProfiler.create(train.profileSteps(), task.model(), device), runDir, this::say);
        listeners.add(profiler); // first, so evaluation never counts as step time
        var evaluator = new Evaluator(task, precision, manager, train, listeners);
        listeners.add(evaluator);
        listeners.add(new MetricsWriter(runDir, firstStep));
        var samples = new SampleWriter(task, precision, manager, train.seed(), runDir, this::say);
        // Before the checkpoint writer: a process killed between the two must not leave a
        // checkpointed step (which a resume does not train again) out of TensorBoard.
        TensorBoardWriter tensorBoard = config.metrics().tensorboard()
                ? TensorBoardWriter.of(runDir, firstStep, config.resolvedYaml(), samples::samples) : null;
        if (tensorBoard != null) {
            listeners.add(tensorBoard);
        }
        String title = config.name() + " (" + task.model().config().parameterCount() + " parameters)";
        listeners.add(LossPlotter.orNote(runDir, title, firstStep, this::say));
        if (console != null) {
            listeners.add(new ProgressReporter(console, interactive, train.steps(), firstStep));
        }
        // Before the checkpoint writer: a diverged step must not be saved.
        listeners.add(new LossGuard(train, this::warn, () -> newestCheckpoint(runDir), "tlab resume " + runDir));
        var checkpointWriter = new CheckpointWriter(checkpoints, config.checkpoint(), train.steps());
        listeners.add(checkpointWriter);
        listeners.add(samples);
        if (tensorBoard != null) {
            listeners.add(tensorBoard.samplesAtEnd());
        }
        extraListeners.forEach(listeners::add);
        callbacks.forEach(callback -> listeners.add(new TrainingListener() {
            @Override
            public void onStepEnd(StepResult step) {
                callback.afterStep(step.step(), manager);
            }
        }));
        return new Ends(evaluator, checkpointWriter, samples);
    }

    /** The step loop: set the step's seed, take the step, tell the listeners, see whether to stop. */
    private RunEnd loop(TrainingStep step, TrainConfig train, RunStart.Progress progress, long tokensPerStep,
            Listeners listeners, Ends ends) {
        long tokensSeen = progress.tokensSeen();
        double trainLoss = Double.NaN;
        Throughput throughput = new Throughput();
        int skipped = 0;
        long start = System.nanoTime();
        for (long s = progress.step(); s < train.steps(); s++) {
            long done = s + 1;
            // Dropout masks depend on the step alone, so a resumed run draws the same ones.
            Engine.getInstance().setRandomSeed(StepSeeds.of(train.seed(), s));
            long stepStart = System.nanoTime();
            listeners.onStepStart(s);
            boolean reports = train.logs(done) || train.evaluates(done);
            TrainingStep.Outcome outcome = step.run(s, reports);
            throughput.add(System.nanoTime() - stepStart, tokensPerStep);
            tokensSeen += tokensPerStep;
            skipped += outcome.applied() ? 0 : 1;
            Throughput.Window window = null;
            if (reports) {
                trainLoss = outcome.loss();
                window = throughput.take();
            }
            listeners.onStepEnd(new StepResult(done, outcome.lr(), outcome.loss(), outcome.gradNorm(),
                    outcome.applied(), reports, tokensSeen, reports ? window.tokensPerSecond() : Double.NaN,
                    (System.nanoTime() - start) / 1e9, outcome.clipped(), outcome.lossScale(), reports ? skipped : 0,
                    outcome.updateRatios(), reports ? window.stepSeconds() : Double.NaN));
            if (reports) {
                skipped = 0;
            }
            checkRequests(done, tokensSeen, train.steps(), ends.checkpoints());
        }
        RunEnd end = new RunEnd(train.steps(), progress.step(), tokensPerStep, throughput.trainSeconds(),
                (System.nanoTime() - start) / 1e9, trainLoss, ends.evaluator().last(), progress.wallSeconds());
        listeners.onTrainingEnd(end);
        return end;
    }

    /** Between steps: a checkpoint asked for is written; a stop writes one (unless this step has one) and ends the run. */
    private void checkRequests(long done, long tokensSeen, long steps, CheckpointWriter checkpoints) {
        String asked = stop.takeCheckpoint();
        StopRequest.Reason reason = done < steps ? stop.reason() : null;
        if (asked == null && reason == null) {
            return;
        }
        Path checkpoint = checkpoints.checkpointOf(done, tokensSeen);
        if (interactive && console != null) {
            console.print("\r\u001b[K"); // the progress bar's line
        }
        if (reason != null) {
            throw new TrainingStopped(reason, done, checkpoint, "tlab resume " + config.runDir());
        }
        say(asked + ": checkpoint " + checkpoint + " after step " + done + "; training continues");
    }

    /** Adds a callback after every step (tests and benchmarks watch memory and time with it). */
    public Trainer onStep(StepCallback callback) {
        callbacks.add(callback);
        return this;
    }

    /** Hands the trained model (base and adapters) to {@code callback} after the last step, before its memory is freed. */
    public Trainer onEnd(java.util.function.Consumer<TokenModel> callback) {
        endCallbacks.add(callback);
        return this;
    }

    /** The sublayer timing table of a run with {@code train.profile_steps > 0}, once fit has made it; else null. */
    public ProfileTable profile() {
        return profiler == null ? null : profiler.table();
    }

    private void describe(Device device, int threads, Task task, Map<String, Parameter> parameters, Map<String, Parameter> trainable) {
        ModelConfig model = task.model().config();
        say(String.format(Locale.ROOT, "tlab: run '%s' on %s | %s, task %s | %,d parameters | %s",
                config.name(), device, model.type(), config.data().task(), model.parameterCount(), task.describe()));
        say("engine: " + Devices.describe(device) + " | " + CpuThreads.describe(threads) + " | precision "
                + config.train().precision() + " | attention "
                + model.attention().describe(device.isGpu()));
        say("AdamW groups: " + AdamW.describeGroups(trainable));
        if (trainable.size() < parameters.size() && !config.finetune().isLora()) {
            say("frozen (" + config.finetune().freeze() + "): " + (parameters.size() - trainable.size()) + " tensors");
        }
    }

    /**
     * A new run (from scratch or a fine-tune) must not replace another run's checkpoints, metrics and
     * summary, least of all those of the run it fine-tunes from; only a resume continues a run in place.
     * Any checkpoint counts, {@code best/} alone included (a run with {@code checkpoint.every = 0}
     * leaves only that).
     */
    private void refuseToOverwrite(Path runDir) {
        Path checkpoints = runDir.resolve("checkpoints");
        if (origin.isResume()) {
            return;
        }
        boolean taken = CheckpointDirectory.hasCheckpoints(checkpoints);
        if (origin.isScratch()) {
            if (taken) {
                throw new ConfigException(runDir + " already has checkpoints; continue it with `tlab resume " + runDir
                        + "` (or `tlab train CONFIG --resume`), or train into a new run with --set name=NEW");
            }
            return;
        }
        boolean source = origin.checkpoint().toAbsolutePath().normalize().startsWith(runDir.toAbsolutePath().normalize());
        if (!source && !taken) {
            return;
        }
        throw new ConfigException(runDir + (source ? " is the run fine-tuned from (" + origin.checkpoint() + ")"
                : " already has another run's checkpoints") + "; a fine-tune is a new run: give it its own directory"
                + " with --set name=NEW or --set output.dir=DIR");
    }

    private void createRunDir(Path runDir) {
        try {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("config.resolved.yaml"), config.resolvedYaml());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + runDir, e);
        }
        RunSummary.clear(runDir);
    }

    /** The newest complete checkpoint of the run, or null when it has none. */
    private static Path newestCheckpoint(Path runDir) {
        if (!CheckpointDirectory.hasCheckpoints(runDir.resolve("checkpoints"))) {
            return null;
        }
        try {
            return CheckpointDirectory.find(runDir);
        } catch (ConfigException e) {
            return null;
        }
    }

    /** A line that interrupts the progress bar. */
    private void warn(String line) {
        if (interactive && console != null) {
            console.print("\r\u001b[K");
        }
        say(line);
    }

    private void say(String line) {
        if (console != null) {
            console.println(line);
            console.flush();
        }
    }
}
