package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.bench.Bench;
import dev.tlab.bench.BenchResult;
import dev.tlab.bench.MatmulPeak;
import dev.tlab.bench.MatmulSamples;
import dev.tlab.bench.MemoryTrace;
import dev.tlab.bench.Throughput;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

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
        if (steps < 1) {
            throw new ConfigException("--steps: must be >= 1, got " + steps);
        }
        List<String> all = new ArrayList<>(overrides);
        all.addAll(Bench.overrides(steps, profileSteps, Files.createTempDirectory("tlab-bench")));
        RunConfig run = ConfigLoader.load(config, all);
        var err = spec.commandLine().getErr();
        BenchResult bench = new Bench(warmup, matmulSize, memoryEvery, peakEvery).reportingTo(line -> {
            err.println(line);
            err.flush();
        }).run(run);
        Throughput throughput = bench.throughput();
        MatmulSamples alongside = bench.alongside();
        double growth = bench.memory().growth();
        String peakType = bench.peakType().name().toLowerCase(Locale.ROOT);

        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "device            %s%n", bench.device());
        out.printf(Locale.ROOT, "matmul peak       %.1f GFLOP/s (%s, best of n = %s; %.1f before training, %.1f after)%n",
                bench.peakFlops() / 1e9, peakType, sizes(matmulSize), bench.before().flops() / 1e9,
                bench.after().flops() / 1e9);
        out.printf(Locale.ROOT, "config            %s, %d steps (%d warm-up, %d timed)%n", config, steps,
                bench.warmupSteps(), throughput.steps());
        out.printf(Locale.ROOT, "tokens/s          %,.0f (timed training steps only)%n", throughput.tokensPerSecond());
        out.printf(Locale.ROOT, "ms/step           %.2f%n", throughput.msPerStep());
        out.printf(Locale.ROOT, "FLOPs/token       %.3g%n", throughput.flopsPerToken());
        out.printf(Locale.ROOT, "achieved          %.1f GFLOP/s%n", throughput.achievedFlops() / 1e9);
        out.printf(Locale.ROOT, "MFU               %.1f%%%n", 100 * bench.mfu());
        if (!alongside.isEmpty()) {
            out.printf(Locale.ROOT, "matmul alongside  %.1f GFLOP/s (n = %d, median of %d samples between steps, %.1f to %.1f)%n",
                    alongside.median() / 1e9, alongside.n(), alongside.count(), alongside.min() / 1e9,
                    alongside.max() / 1e9);
            out.printf(Locale.ROOT, "MFU alongside     %.1f%% (against that median)%n", 100 * bench.mfuAlongside());
        }
        out.printf(Locale.ROOT, "peak RSS          %.0f MiB (native, outside the Java heap, at the end: %.0f MiB)%n",
                bench.end().peakResidentBytes() / 1048576.0, bench.end().nativeBytes() / 1048576.0);
        if (!Double.isNaN(growth)) {
            out.printf(Locale.ROOT, "RSS growth        %+.2f%%: highest later sample over step %d's (samples every %d steps)%n",
                    100 * growth, bench.memory().baseline().step(), memoryEvery);
            StringBuilder trace = new StringBuilder();
            for (MemoryTrace.Sample sample : bench.memory().samples()) {
                trace.append(trace.length() == 0 ? "" : " ").append(sample.residentBytes() >> 20);
            }
            out.printf(Locale.ROOT, "RSS samples (MiB) %s%n", trace);
        }
        if (bench.profile() != null) {
            out.println();
            out.print(bench.profile().format());
        }
        out.flush();

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("config", config.toString());
        figures.put("device", bench.device().toString());
        figures.put("date", java.time.LocalDate.now().toString());
        figures.put("steps", steps);
        figures.put("warmup_steps", bench.warmupSteps());
        figures.put("matmul_peak_gflops", bench.peakFlops() / 1e9);
        figures.put("matmul_peak_before_gflops", bench.before().flops() / 1e9);
        figures.put("matmul_peak_after_gflops", bench.after().flops() / 1e9);
        figures.put("matmul_peak_dtype", peakType);
        figures.put("tokens_per_s", throughput.tokensPerSecond());
        figures.put("ms_per_step", throughput.msPerStep());
        figures.put("flops_per_token", throughput.flopsPerToken());
        figures.put("mfu", bench.mfu());
        figures.put("matmul_alongside_size", alongside.n());
        figures.put("matmul_alongside_gflops", alongside.flops().stream().map(f -> f / 1e9).toList());
        figures.put("matmul_alongside_median_gflops", alongside.isEmpty() ? null : alongside.median() / 1e9);
        figures.put("mfu_alongside", alongside.isEmpty() ? null : bench.mfuAlongside());
        figures.put("peak_rss_bytes", bench.end().peakResidentBytes());
        figures.put("native_bytes", bench.end().nativeBytes());
        figures.put("rss_samples", bench.memory().samples().stream()
                .map(s -> new long[] {s.step(), s.residentBytes()}).toList());
        figures.put("rss_growth_after_warmup", Double.isNaN(growth) ? null : growth);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), figures);
        return 0;
    }

    private static String sizes(int largest) {
        int[] sizes = MatmulPeak.sizes(largest);
        return sizes[0] + ", " + sizes[1] + ", " + sizes[2];
    }
}
