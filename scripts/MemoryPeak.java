import ai.djl.ndarray.NDManager;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.metrics.ProcessMemory;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * tlab's memory estimate for a config against the peak resident memory its training steps reach:
 * trains STEPS steps (default 3) with no samples or checkpoints and prints the estimate, the
 * measured peak over the resident memory before the run (libtorch loaded), and their ratio.
 *
 * From the repository root, once {@code ./tlab --version} has built the jar:
 * <pre>
 *   java -Xmx2g -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/MemoryPeak.java CONFIG [STEPS [KEY=VALUE...]]
 * </pre>
 */
public class MemoryPeak {
    public static void main(String[] args) {
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> sets = new ArrayList<>(List.of("train.steps=" + steps, "train.eval_every=" + (steps + 1),
                "train.eval_batches=1", "checkpoint.every=0", "sample.tokens=0", "output.dir="
                        + System.getProperty("java.io.tmpdir") + "/tlab-memory-" + System.nanoTime()));
        sets.addAll(List.of(args).subList(Math.min(2, args.length), args.length));
        RunConfig run = ConfigLoader.load(Path.of(args[0]), sets);
        try (NDManager warm = NDManager.newBaseManager()) {
            warm.ones(new ai.djl.ndarray.types.Shape(1)).sum(); // load libtorch before the baseline
        }
        System.gc();
        long baseline = ProcessMemory.now().residentBytes();
        Trainer.Result result = new Trainer(run, null, false).fit();
        long peak = ProcessMemory.now().peakResidentBytes();
        MemoryEstimate estimate = MemoryEstimate.of(result.model(), run.train());
        double measured = peak - baseline;
        System.out.printf(Locale.ROOT, "%s %s: estimate %s, measured peak %s over a %s baseline: estimate/measured %.2f%n",
                args[0], String.join(" ", sets.subList(6, sets.size())), MemoryEstimate.bytes(estimate.totalBytes()),
                MemoryEstimate.bytes(measured), MemoryEstimate.bytes(baseline), estimate.totalBytes() / measured);
        System.out.println("  " + estimate.describe());
    }
}
