package dev.tlab.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tlab.config.RunConfig;
import dev.tlab.metrics.ProcessMemory;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.train.Devices;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Trains a config for a few steps and measures tokens/s and MFU: achieved training FLOP/s over the
 * machine's matmul peak in the run's precision, timed before and after training. Optionally times
 * matmuls between steps (outside the timed steps) for MFU at the machine's speed of the moment,
 * and samples resident memory to catch a leak.
 */
public final class Bench {

    private final int warmup;
    private final int matmulSize;
    private final int memoryEvery;
    private final int peakEvery;
    private Consumer<String> say = line -> {};

    /**
     * @param warmup steps run before timing starts (at most steps - 2)
     * @param matmulSize the largest n of the n x n matmuls timed for the peak
     * @param memoryEvery sample resident memory every this many steps
     * @param peakEvery time matmuls between steps every this many timed steps; 0: never
     */
    public Bench(int warmup, int matmulSize, int memoryEvery, int peakEvery) {
        this.warmup = warmup;
        this.matmulSize = matmulSize;
        this.memoryEvery = memoryEvery;
        this.peakEvery = peakEvery;
    }

    /**
     * Config overrides that make a run a bench: {@code steps} steps of training alone (one
     * evaluation at the end, no samples, no checkpoints but the last), its outputs in
     * {@code outputDir}, and a sublayer profile of {@code profileSteps} steps when above zero.
     */
    public static List<String> overrides(int steps, int profileSteps, Path outputDir) {
        List<String> all = new ArrayList<>(List.of("train.steps=" + steps, "train.eval_every=" + steps,
                "train.eval_batches=1", "checkpoint.every=0", "sample.tokens=0", "output.dir=" + outputDir));
        if (profileSteps > 0) {
            all.add("train.profile_steps=" + profileSteps);
        }
        return all;
    }

    /** Where lines go as each phase starts (the peak's matmuls, training), so that none is a silent wait. */
    public Bench reportingTo(Consumer<String> lines) {
        this.say = lines;
        return this;
    }

    public BenchResult run(RunConfig run) {
        int steps = run.train().steps();
        Device device = Devices.resolve(run.train().device());
        // Before the peak's matmuls, which run in the precision's type.
        TrainingPrecision.require(run.train());
        DataType peakType = run.train().computeType();
        String sizes = Arrays.toString(MatmulPeak.sizes(matmulSize));
        say.accept("matmul peak before training: timing " + peakType.name().toLowerCase(Locale.ROOT)
                + " n x n matmuls, n = " + sizes + ", 12 times each...");
        MatmulPeak before = MatmulPeak.measure(device, matmulSize, peakType, say);
        say.accept("training " + steps + " steps (" + Math.max(0, Math.min(warmup, steps - 2)) + " warm-up)...");

        // Timed window: after the warm-up steps, up to the step before the last (whose evaluation
        // and checkpoint are not training).
        int warm = Math.max(0, Math.min(warmup, steps - 2));
        long lastTimed = Math.max(warm + 1, steps - 1);
        long[] window = new long[2];
        long[] sampling = new long[1];
        List<MemoryTrace.Sample> memory = new ArrayList<>();
        List<Double> alongside = new ArrayList<>();
        Trainer trainer = new Trainer(run, null, false).onStep((done, manager) -> {
            if (done == warm) {
                window[0] = System.nanoTime();
            }
            if (done == lastTimed) {
                window[1] = System.nanoTime();
            }
            if (done % memoryEvery == 0) {
                memory.add(new MemoryTrace.Sample(done, ProcessMemory.now().residentBytes()));
            }
            if (peakEvery > 0 && done > warm && done < lastTimed && (done - warm) % peakEvery == 0) {
                long start = System.nanoTime();
                // Made for each sample, so training never runs with its matrices held.
                try (MatmulProbe probe = new MatmulProbe(device, before.size(), peakType)) {
                    alongside.add(probe.rate());
                }
                sampling[0] += System.nanoTime() - start;
            }
        });
        long begin = System.nanoTime();
        Trainer.Result result = trainer.fit();
        if (warm == 0) {
            window[0] = begin;
        }
        say.accept("matmul peak after training...");
        MatmulPeak after = MatmulPeak.measure(device, matmulSize, peakType, say);
        ProcessMemory end = ProcessMemory.now();
        double seconds = (window[1] - window[0] - sampling[0]) / 1e9;
        Throughput throughput = new Throughput(lastTimed - warm, seconds, result.tokensPerStep(),
                result.model().trainingFlopsPerToken());
        return new BenchResult(device, peakType, before, after, steps, warm, throughput,
                new MatmulSamples(before.size(), alongside), new MemoryTrace(memory, MemoryTrace.settledFrom(warm, steps)),
                end, trainer.profile());
    }
}
