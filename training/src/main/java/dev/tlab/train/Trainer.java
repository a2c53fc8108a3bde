package dev.tlab.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunCheckpoints;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigException;
import dev.tlab.config.RunConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.data.BatchSampler;
import dev.tlab.data.BatchSource;
import dev.tlab.metrics.LossPlot;
import dev.tlab.metrics.MetricsLog;
import dev.tlab.metrics.Plots;
import dev.tlab.metrics.ProgressBar;
import dev.tlab.metrics.RunSummary;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.Freeze;
import dev.tlab.optim.GlobalNormClip;
import dev.tlab.optim.LossScaler;
import dev.tlab.layers.HalfPrecisionStore;
import dev.tlab.layers.Scalars;
import dev.tlab.optim.LrSchedule;
import dev.tlab.profile.Phase;
import dev.tlab.profile.ProfileTable;
import dev.tlab.profile.StepProfiler;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a decoder LM from a {@link RunConfig}. Each step runs inside an {@link NDScope}, so every
 * array it creates is freed when it ends; the AdamW update runs after the scope, on arrays that
 * live as long as the model.
 */
public final class Trainer {

    private final RunConfig config;
    private final PrintStream console;
    private final boolean interactive;
    private StepListener listener = (done, manager) -> {};
    private RunStart start = RunStart.scratch();
    private ProfileTable profile;

    /** Called after every optimizer step, with the manager that owns the model. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(long done, NDManager manager);
    }

    /** What a finished run reports. */
    public record Result(
            Path runDir, ModelConfig model, long steps, double trainLoss, double valLoss, double tokensPerSecond,
            String sample, Map<String, Double> evalMetrics) {}

    /**
     * @param console where progress goes, or null for a silent run
     * @param interactive whether the console is a terminal (redraw the bar in place)
     */
    public Trainer(RunConfig config, PrintStream console, boolean interactive) {
        this.config = config;
        this.console = console;
        this.interactive = interactive;
    }

    public Trainer onStep(StepListener listener) {
        this.listener = listener;
        return this;
    }

    /** Starts from a checkpoint: {@link RunStart#resume} or {@link RunStart#finetune}. */
    public Trainer from(RunStart start) {
        this.start = start;
        return this;
    }

    public Result fit() {
        TrainConfig train = config.train();
        Device device = Devices.resolve(train.device());
        Path runDir = config.runDir();

        Engine.getInstance().setRandomSeed((int) train.seed());
        try (NDManager manager = NDManager.newBaseManager(device)) {
            refuseToOverwrite(runDir);
            Task task = Tasks.create(config, manager, start.baseVocabulary());
            TokenModel model = task.model();
            ModelConfig modelConfig = model.config();
            Map<String, Parameter> parameters = model.namedParameters();
            Map<String, Parameter> trainable = Freeze.apply(parameters, config.finetune().freeze());
            HalfPrecisionStore half = train.halfPrecision() ? new HalfPrecisionStore(manager, trainable.values()) : null;
            ParameterStore ps = half != null ? half : new ParameterStore(manager, false);
            LossScaler scaler = half != null ? new LossScaler() : null;
            AdamW optimizer = new AdamW(trainable, train.beta1(), train.beta2(), train.eps(), train.weightDecay());
            LrSchedule schedule = new LrSchedule(train.lr(), train.minLr(), train.warmup(), train.cosineEnd());

            say(String.format(Locale.ROOT, "tlab: run '%s' on %s | %s, task %s | %,d parameters | %s",
                    config.name(), device, modelConfig.type(), config.data().task(), modelConfig.parameterCount(),
                    task.describe()));
            say("engine: " + Devices.describe(device) + " | precision " + train.precision());
            say("AdamW groups: " + optimizer.describeGroups());
            if (trainable.size() < parameters.size()) {
                say("frozen (" + config.finetune().freeze() + "): " + (parameters.size() - trainable.size()) + " tensors");
            }
            RunStart.Progress progress = start.load(config, modelConfig, task.vocabulary(), parameters, optimizer,
                    manager, this::say);
            if (scaler != null && progress.lossScale() > 0) {
                scaler.restore(progress.lossScale(), progress.lossScaleGoodSteps());
            }
            // After loading: from here on parameters and moments are views of one buffer per group.
            optimizer.pack();
            RunCheckpoints checkpoints = new RunCheckpoints(config, task.vocabulary(), parameters, optimizer, scaler, progress);
            createRunDir(runDir);
            RunSummary.clear(runDir);
            say("outputs: " + runDir.toAbsolutePath());

            long tokensPerStep = task.tokensPerMicroBatch() * train.gradAccum();
            ProgressBar bar = console == null ? null : new ProgressBar(console, train.steps(), interactive);
            double trainLoss = Double.NaN;
            double valLoss = Double.NaN;
            long first = progress.step();
            long tokensSeen = progress.tokensSeen();
            Map<String, Double> extra = Map.of();
            long start = System.nanoTime();
            long windowNanos = 0;
            long trainNanos = 0;
            long windowTokens = 0;
            double tokensPerSecond = Double.NaN;
            StepProfiler profiler = StepProfiler.create(train.profileSteps(), model, device);
            LossPlot plot = Plots.supported()
                    ? new LossPlot(config.name() + " (" + modelConfig.parameterCount() + " parameters)")
                    : null;
            try (MetricsLog metrics = MetricsLog.continuing(runDir.resolve("metrics.jsonl"), first, row -> {
                if (plot != null) {
                    plot.addRow(row);
                }
            })) {
                for (long step = first; step < train.steps(); step++) {
                    long done = step + 1;
                    // Dropout masks depend on the step alone, so a resumed run draws the same ones.
                    Engine.getInstance().setRandomSeed(StepSeeds.of(train.seed(), step));
                    boolean log = done % train.logEvery() == 0 || done == 1 || done == train.steps();
                    boolean eval = done % train.evalEvery() == 0 || done == train.steps();
                    long stepStart = System.nanoTime();
                    profiler.startStep();
                    double lr = schedule.at(step);
                    double gradScale;
                    boolean apply = true;
                    try (NDScope ignored = new NDScope()) {
                        double lossScale = scaler == null ? 1 : scaler.scale();
                        NDArray loss = accumulate((s, micro) -> task.trainLoss(ps, manager, s, micro), step,
                                train.gradAccum(), lossScale, profiler);
                        double norm = 0;
                        if (half != null) {
                            // The overflow check needs the norm anyway: one host read per step.
                            norm = half.gradientNorm() / lossScale;
                            apply = scaler.update(norm);
                            if (apply) {
                                half.addGradientsToMasters();
                            }
                            half.endStep();
                        } else if (train.gradClip() > 0) {
                            norm = optimizer.gradientNorm();
                        }
                        gradScale = GlobalNormClip.factor(norm, train.gradClip()) / lossScale;
                        if (log || eval) {
                            trainLoss = loss.getFloat();
                        }
                        profiler.lap(Phase.CLIP);
                    }
                    profiler.lap(Phase.BOOKKEEPING);
                    if (apply) {
                        optimizer.step(lr, gradScale);
                    }
                    profiler.lap(Phase.OPTIMIZER);
                    if (profiler.endStep()) {
                        profile = profiler.table();
                        say("\n" + profile.format());
                        writeText(runDir.resolve("profile.txt"), profile.format());
                    }
                    // Throughput counts training steps only, not evaluation or checkpoints.
                    long stepNanos = System.nanoTime() - stepStart;
                    windowNanos += stepNanos;
                    trainNanos += stepNanos;
                    windowTokens += tokensPerStep;
                    tokensSeen += tokensPerStep;

                    if (eval) {
                        valLoss = evaluate(task, ps, manager, train.evalBatches());
                        extra = task.evalMetrics(ps, manager);
                        if (half != null) {
                            half.endStep();
                        }
                        checkpoints.evaluated(done, tokensSeen, valLoss);
                    }
                    if (log || eval) {
                        tokensPerSecond = windowTokens / (windowNanos / 1e9);
                        double elapsed = (System.nanoTime() - start) / 1e9;
                        metrics.write(done, lr, trainLoss, eval ? valLoss : Double.NaN, tokensPerSecond, elapsed, eval ? extra : Map.of());
                        if (plot != null) {
                            plot.add("train", done, trainLoss);
                        }
                        if (eval && plot != null) {
                            plot.add("val", done, valLoss);
                            plot.refresh(runDir.resolve("loss.png"));
                        }
                        if (bar != null) {
                            double eta = elapsed / (done - first) * (train.steps() - done);
                            bar.update(done, trainLoss, valLoss, lr, tokensPerSecond, eta);
                        }
                        windowNanos = 0;
                        windowTokens = 0;
                    }
                    boolean save = config.checkpoint().every() > 0 && done % config.checkpoint().every() == 0;
                    if (save || done == train.steps()) {
                        checkpoints.save(done, tokensSeen);
                    }
                    listener.afterStep(done, manager);
                }
            }
            if (plot != null) {
                plot.write(runDir.resolve("loss.png"));
            } else {
                say(Plots.MISSING);
            }
            double totalSeconds = (System.nanoTime() - start) / 1e9;
            double meanTokensPerSecond = (train.steps() - first) * tokensPerStep / (trainNanos / 1e9);
            say(String.format(Locale.ROOT,
                    "done: %d steps in %s | train loss %.4f | val loss %.4f | %,.0f tokens/s in training steps, %,.0f overall",
                    train.steps(), ProgressBar.duration(totalSeconds), trainLoss, valLoss, meanTokensPerSecond,
                    (train.steps() - first) * tokensPerStep / totalSeconds));
            extra.forEach((key, value) -> say(String.format(Locale.ROOT, "%s: %.4f", key, value)));
            String sample = writeSamples(runDir, task.samples(ps, manager, train.seed()));
            new RunSummary(train.steps(), trainLoss, valLoss, checkpoints.bestValLoss(), meanTokensPerSecond, totalSeconds).write(runDir);
            return new Result(runDir, modelConfig, train.steps(), trainLoss, valLoss, meanTokensPerSecond, sample, extra);
        }
    }

    /** One micro-batch's mean loss, recorded for backward. */
    @FunctionalInterface
    interface MicroBatchLoss {
        NDArray loss(long step, int micro);
    }

    /** Loss summed over micro-batches (each scaled by 1/accum), gradients accumulated. */
    static NDArray accumulate(MicroBatchLoss microLoss, long step, int accum) {
        return accumulate(microLoss, step, accum, 1, StepProfiler.off());
    }

    /**
     * As above, with backward on the loss times {@code lossScale} (float16's loss scaling; 1
     * otherwise); the returned loss is unscaled.
     */
    static NDArray accumulate(MicroBatchLoss microLoss, long step, int accum, double lossScale, StepProfiler profiler) {
        NDArray total = null;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            for (int micro = 0; micro < accum; micro++) {
                NDArray loss = Scalars.over(microLoss.loss(step, micro), accum);
                profiler.lap(Phase.FORWARD);
                collector.backward(lossScale == 1 ? loss : Scalars.times(loss, lossScale));
                profiler.lap(Phase.BACKWARD);
                NDArray detached = loss.stopGradient();
                total = total == null ? detached : total.add(detached);
            }
        }
        return total;
    }

    /** {@link #accumulate} for a GPT on a batch source. */
    static NDArray forwardBackward(
            DecoderLM model, ParameterStore ps, NDManager manager, BatchSource sampler, long step, int accum) {
        return accumulate((s, micro) -> {
            BatchSampler.Batch batch = sampler.sample(s, micro);
            NDArray logits = model.forward(ps, toDevice(manager, batch.inputs(), batch), true);
            return LmLoss.crossEntropy(logits, toDevice(manager, batch.targets(), batch));
        }, step, accum);
    }

    /** Mean validation loss over a fixed set of batches, so evals are comparable across steps. */
    static double evaluate(Task task, ParameterStore ps, NDManager manager, int batches) {
        try (NDScope ignored = new NDScope()) {
            NDArray sum = null;
            for (int i = 0; i < batches; i++) {
                NDArray loss = task.valLoss(ps, manager, i);
                sum = sum == null ? loss : sum.add(loss);
            }
            return sum.getFloat() / batches;
        }
    }

    private static NDArray toDevice(NDManager manager, long[] values, BatchSampler.Batch batch) {
        return manager.create(values, new Shape(batch.batchSize(), batch.context()));
    }

    private String writeSamples(Path runDir, String report) {
        if (report.isEmpty()) {
            return "";
        }
        writeText(runDir.resolve("samples.txt"), report);
        say("\n" + report);
        return report;
    }

    private static void writeText(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sublayer timing table of a run with {@code train.profile_steps > 0}, once fit has made it; else null. */
    public ProfileTable profile() {
        return profile;
    }

    /** A fresh run must not delete the checkpoints of an earlier one by pruning them. */
    private void refuseToOverwrite(Path runDir) {
        if (start.isScratch() && !CheckpointDirectory.stepDirectories(runDir.resolve("checkpoints")).isEmpty()) {
            throw new ConfigException(runDir + " already has checkpoints; continue it with `tlab resume " + runDir
                    + "` (or `tlab train CONFIG --resume`), or train into a new run with --set name=NEW");
        }
    }

    private void createRunDir(Path runDir) {
        try {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("config.resolved.yaml"), config.resolvedYaml());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + runDir, e);
        }
    }

    private void say(String line) {
        if (console != null) {
            console.println(line);
            console.flush();
        }
    }
}
