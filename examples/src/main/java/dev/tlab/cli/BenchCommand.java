package dev.tlab.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.train.Devices;
import dev.tlab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
            "Measure this machine's float32 matmul peak, then train a config for a few steps and"
                    + " report tokens/s and MFU (achieved training FLOP/s over the measured peak).",
            "Training FLOPs per token follow nanoGPT: 6 x parameters + 12 x layers x d_model x context."
        })
final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Run config to time, e.g. configs/shakespeare-char.yaml.")
    Path config;

    @Option(names = "--steps", defaultValue = "200", description = "Training steps to time (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--matmul-size", defaultValue = "1024", description = "n for the n x n matmul peak (default: ${DEFAULT-VALUE}).")
    int matmulSize;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--profile", arity = "0..1", fallbackValue = "10", defaultValue = "0", paramLabel = "N",
            description = "Also time N steps (default when given: ${FALLBACK-VALUE}) by part (embedding, attention, FFN,"
                    + " norm, head, loss, data, clip, optimizer; forward and backward) and print where a step's time"
                    + " goes. Sets train.profile_steps.")
    int profileSteps;

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
        double peak = matmulPeak(device, matmulSize);
        Trainer trainer = new Trainer(run, null, false);
        Trainer.Result result = trainer.fit();
        double flopsPerToken = result.model().trainingFlopsPerToken();
        double achieved = result.tokensPerSecond() * flopsPerToken;
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "device            %s%n", device);
        out.printf(Locale.ROOT, "matmul peak       %.1f GFLOP/s (float32, %d x %d)%n", peak / 1e9, matmulSize, matmulSize);
        out.printf(Locale.ROOT, "config            %s, %d steps%n", config, steps);
        out.printf(Locale.ROOT, "tokens/s          %,.0f (training steps only)%n", result.tokensPerSecond());
        out.printf(Locale.ROOT, "FLOPs/token       %.3g%n", flopsPerToken);
        out.printf(Locale.ROOT, "achieved          %.1f GFLOP/s%n", achieved / 1e9);
        out.printf(Locale.ROOT, "MFU               %.1f%%%n", 100 * achieved / peak);
        if (trainer.profile() != null) {
            out.println();
            out.print(trainer.profile().format());
        }
        out.flush();
        return 0;
    }

    /** Best of several timed float32 matmuls, after a warm-up. */
    static double matmulPeak(Device device, int n) {
        try (NDManager manager = NDManager.newBaseManager(device)) {
            NDArray a = manager.randomNormal(new Shape(n, n));
            NDArray b = manager.randomNormal(new Shape(n, n));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 12; i++) {
                long start = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                if (i >= 2) {
                    best = Math.min(best, (System.nanoTime() - start) / 1e9);
                }
            }
            return 2.0 * n * n * n / best;
        }
    }
}
