package dev.tlab.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tlab.config.ConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.config.RunConfig;
import dev.tlab.metrics.ProcessMemory;
import dev.tlab.train.Devices;
import dev.tlab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Train a config for a few steps and report tokens/s and MFU: achieved training FLOP/s over this"
                    + " machine's matmul peak in the run's precision (float32, or float16 for fp16), measured"
                    + " before and after training, the higher reading kept.",
            "Training FLOPs per token follow nanoGPT: 6 x parameters + 12 x layers x d_model x context.",
            "On a shared machine the matmul rate drifts during a run, so the bench also times a few matmuls at"
                    + " the peak's size between training steps (outside the timed steps) and reports MFU against"
                    + " their median as 'MFU alongside': efficiency at the machine's speed of the moment."
        })
final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Run config to time, e.g. configs/shakespeare-char.yaml.")
    Path config;

    @Option(names = "--steps", defaultValue = "200", description = "Training steps to time (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--matmul-size", defaultValue = "2048",
            description = "Largest n of the n x n matmuls timed for the peak; n/4 and n/2 are timed too (default: ${DEFAULT-VALUE}).")
    int matmulSize;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--profile", arity = "0..1", fallbackValue = "10", defaultValue = "0", paramLabel = "N",
            description = "Also time N steps (default when given: ${FALLBACK-VALUE}) by part (embedding, attention, FFN,"
                    + " norm, head, loss, data, clip, optimizer; forward and backward) and print where a step's time"
                    + " goes. Sets train.profile_steps.")
    int profileSteps;

    @Option(names = "--warmup", defaultValue = "10",
            description = "Steps run before timing starts (default: ${DEFAULT-VALUE}; at most steps - 2).")
    int warmup;

    @Option(names = "--memory-every", defaultValue = "1000", paramLabel = "N",
            description = "Sample resident memory every N steps and report its growth once settled: the highest"
                    + " sample after the first quarter of the run over the first one there (default: ${DEFAULT-VALUE}).")
    int memoryEvery;

    @Option(names = "--peak-every", defaultValue = "25", paramLabel = "N",
            description = "Time the matmul rate between training steps every N timed steps, for 'MFU alongside'"
                    + " (default: ${DEFAULT-VALUE}; 0: off).")
    int peakEvery;

    @Option(names = "--json", paramLabel = "FILE", defaultValue = "bench.json",
            description = "Where the figures go as JSON (default: ${DEFAULT-VALUE}).")
    Path json;

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        Path scratch = Files.createTempDirectory("tlab-bench");
        all.addAll(List.of("train.steps=" + steps, "train.eval_every=" + steps, "train.eval_batches=1",
                "checkpoint.every=0", "sample.tokens=0", "output.dir=" + scratch));
        if (profileSteps > 0) {
            all.add("train.profile_steps=" + profileSteps);
        }
        RunConfig run = ConfigLoader.load(config, all);
        Device device = Devices.resolve(run.train().device());
        DataType peakType = run.train().halfPrecision() ? DataType.FLOAT16 : DataType.FLOAT32;
        Peak before = matmulPeak(device, matmulSize, peakType);
        double peakBefore = before.flops();

        // Timed window: after the warm-up steps, up to the step before the last (whose evaluation
        // and checkpoint are not training).
        int warm = Math.max(0, Math.min(warmup, steps - 2));
        long lastTimed = Math.max(warm + 1, steps - 1);
        long[] window = new long[2];
        long[] sampling = new long[1];
        List<long[]> memory = new ArrayList<>();
        List<Double> alongside = new ArrayList<>();
        Trainer trainer = new Trainer(run, null, false).onStep((done, manager) -> {
            if (done == warm) {
                window[0] = System.nanoTime();
            }
            if (done == lastTimed) {
                window[1] = System.nanoTime();
            }
            if (done % memoryEvery == 0) {
                memory.add(new long[] {done, ProcessMemory.now().residentBytes()});
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
        // Measured again after training and the higher one kept: on a shared machine one reading
        // can come out low, and MFU against a low peak flatters.
        double peakAfter = matmulPeak(device, matmulSize, peakType).flops();
        double peak = Math.max(peakBefore, peakAfter);
        long timedSteps = lastTimed - warm;
        double seconds = (window[1] - window[0] - sampling[0]) / 1e9;
        long tokensPerStep = run.train().batchSize() * (long) run.train().gradAccum() * result.model().context();
        double tokensPerSecond = timedSteps * tokensPerStep / seconds;
        double flopsPerToken = result.model().trainingFlopsPerToken();
        double achieved = tokensPerSecond * flopsPerToken;
        double mfu = achieved / peak;
        double alongsideMedian = median(alongside);
        double mfuAlongside = achieved / alongsideMedian;
        ProcessMemory end = ProcessMemory.now();
        double growth = memoryGrowth(memory, warm, steps);

        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "device            %s%n", device);
        out.printf(Locale.ROOT, "matmul peak       %.1f GFLOP/s (%s, best of n = %s; %.1f before training, %.1f after)%n",
                peak / 1e9, peakType.name().toLowerCase(Locale.ROOT), sizes(matmulSize), peakBefore / 1e9,
                peakAfter / 1e9);
        out.printf(Locale.ROOT, "config            %s, %d steps (%d warm-up, %d timed)%n", config, steps, warm, timedSteps);
        out.printf(Locale.ROOT, "tokens/s          %,.0f (timed training steps only)%n", tokensPerSecond);
        out.printf(Locale.ROOT, "ms/step           %.2f%n", 1000 * seconds / timedSteps);
        out.printf(Locale.ROOT, "FLOPs/token       %.3g%n", flopsPerToken);
        out.printf(Locale.ROOT, "achieved          %.1f GFLOP/s%n", achieved / 1e9);
        out.printf(Locale.ROOT, "MFU               %.1f%%%n", 100 * mfu);
        if (!alongside.isEmpty()) {
            DoubleSummaryStatistics range = alongside.stream().mapToDouble(Double::doubleValue).summaryStatistics();
            out.printf(Locale.ROOT, "matmul alongside  %.1f GFLOP/s (n = %d, median of %d samples between steps, %.1f to %.1f)%n",
                    alongsideMedian / 1e9, before.size(), alongside.size(), range.getMin() / 1e9, range.getMax() / 1e9);
            out.printf(Locale.ROOT, "MFU alongside     %.1f%% (against that median)%n", 100 * mfuAlongside);
        }
        out.printf(Locale.ROOT, "peak RSS          %.0f MiB (native, outside the Java heap, at the end: %.0f MiB)%n",
                end.peakResidentBytes() / 1048576.0, end.nativeBytes() / 1048576.0);
        if (!Double.isNaN(growth)) {
            long[] baseline = memoryBaseline(memory, warm, steps);
            out.printf(Locale.ROOT, "RSS growth        %+.2f%%: highest later sample over step %d's (samples every %d steps)%n",
                    100 * growth, baseline[0], memoryEvery);
            StringBuilder trace = new StringBuilder();
            for (long[] sample : memory) {
                trace.append(trace.length() == 0 ? "" : " ").append(sample[1] >> 20);
            }
            out.printf(Locale.ROOT, "RSS samples (MiB) %s%n", trace);
        }
        if (trainer.profile() != null) {
            out.println();
            out.print(trainer.profile().format());
        }
        out.flush();

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("config", config.toString());
        figures.put("device", device.toString());
        figures.put("date", java.time.LocalDate.now().toString());
        figures.put("steps", steps);
        figures.put("warmup_steps", warm);
        figures.put("matmul_peak_gflops", peak / 1e9);
        figures.put("matmul_peak_before_gflops", peakBefore / 1e9);
        figures.put("matmul_peak_after_gflops", peakAfter / 1e9);
        figures.put("matmul_peak_dtype", peakType.name().toLowerCase(Locale.ROOT));
        figures.put("tokens_per_s", tokensPerSecond);
        figures.put("ms_per_step", 1000 * seconds / timedSteps);
        figures.put("flops_per_token", flopsPerToken);
        figures.put("mfu", mfu);
        figures.put("matmul_alongside_size", before.size());
        figures.put("matmul_alongside_gflops", alongside.stream().map(f -> f / 1e9).toList());
        figures.put("matmul_alongside_median_gflops", alongside.isEmpty() ? null : alongsideMedian / 1e9);
        figures.put("mfu_alongside", alongside.isEmpty() ? null : mfuAlongside);
        figures.put("peak_rss_bytes", end.peakResidentBytes());
        figures.put("native_bytes", end.nativeBytes());
        figures.put("rss_samples", memory);
        figures.put("rss_growth_after_warmup", Double.isNaN(growth) ? null : growth);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), figures);
        return 0;
    }

    /**
     * Growth of resident memory once it has settled: the highest sample after the baseline over the
     * baseline ({@link #memoryBaseline}). The Java heap and allocator arenas grow over the first few
     * thousand steps and then stay put; a leak keeps growing. NaN with fewer than two samples there.
     */
    static double memoryGrowth(List<long[]> samples, long warm, long steps) {
        List<long[]> settled = settled(samples, warm, steps);
        if (settled.size() < 2) {
            return Double.NaN;
        }
        long baseline = settled.get(0)[1];
        long highest = settled.stream().skip(1).mapToLong(s -> s[1]).max().orElse(baseline);
        return (double) highest / baseline - 1;
    }

    /** The first sample after the warm-up steps and after the first quarter of the run. */
    static long[] memoryBaseline(List<long[]> samples, long warm, long steps) {
        List<long[]> settled = settled(samples, warm, steps);
        return settled.isEmpty() ? null : settled.get(0);
    }

    private static List<long[]> settled(List<long[]> samples, long warm, long steps) {
        long settleFrom = Math.max(warm + 1, steps / 4);
        return samples.stream().filter(s -> s[0] >= settleFrom).toList();
    }

    private static String sizes(int largest) {
        return (largest / 4) + ", " + (largest / 2) + ", " + largest;
    }

    /** The fastest matmul rate seen, in FLOP/s, and the n x n size that gave it. */
    record Peak(double flops, int size) {}

    /** Best of several timed matmuls of sizes n/4, n/2 and n, each after a warm-up. */
    static Peak matmulPeak(Device device, int largest, DataType type) {
        Peak best = new Peak(0, largest);
        for (int n : new int[] {largest / 4, largest / 2, largest}) {
            double flops = matmulPeakAt(device, n, type);
            if (flops > best.flops()) {
                best = new Peak(flops, n);
            }
        }
        return best;
    }

    private static double matmulPeakAt(Device device, int n, DataType type) {
        try (MatmulProbe probe = new MatmulProbe(device, n, type)) {
            double best = 0;
            for (int i = 0; i < 12; i++) {
                double flops = probe.rate(1);
                if (i >= 2) {
                    best = Math.max(best, flops);
                }
            }
            return best;
        }
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Two n x n random matrices on the device, to time their product. */
    static final class MatmulProbe implements AutoCloseable {
        private final NDManager manager;
        private final NDArray a;
        private final NDArray b;
        private final int n;

        MatmulProbe(Device device, int n, DataType type) {
            this.n = n;
            manager = NDManager.newBaseManager(device);
            a = manager.randomNormal(new Shape(n, n)).toType(type, false);
            b = manager.randomNormal(new Shape(n, n)).toType(type, false);
        }

        /** FLOP/s of three back-to-back products after one untimed one: a sustained, not a best, rate. */
        double rate() {
            rate(1);
            return rate(3);
        }

        /** FLOP/s of {@code count} products, timed to the last one's result on the host. */
        double rate(int count) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
            }
            return count * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public void close() {
            manager.close();
        }
    }
}
