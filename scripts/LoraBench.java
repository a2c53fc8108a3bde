import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.metrics.ProcessMemory;
import dev.tlab.train.Trainer;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One LoRA or full fine-tuning run of a config from a base checkpoint, measured: the peak resident
 * memory over the process's resident memory before the run (libtorch loaded), and the seconds and
 * tokens/s of each step. Run each method in its own process so that each peak is its own:
 * <pre>
 *   java -Xmx2g -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/LoraBench.java CONFIG BASE full|lora STEPS [KEY=VALUE...]
 * </pre>
 * {@code base} as the method writes BASE: the config's model, freshly initialized, as a step-0
 * checkpoint (a base for timing; what it knows does not matter).
 */
public class LoraBench {
    public static void main(String[] args) {
        if (args[2].equals("base")) {
            writeBase(args);
            return;
        }
        int steps = Integer.parseInt(args[3]);
        List<String> sets = new ArrayList<>(List.of("finetune.method=" + args[2], "train.steps=" + steps,
                "train.eval_every=" + (steps + 1), "train.eval_batches=1", "checkpoint.every=0", "sample.tokens=0",
                "name=" + args[2], "output.dir=" + System.getProperty("java.io.tmpdir") + "/tlab-lora-bench-" + System.nanoTime()));
        sets.addAll(List.of(args).subList(4, args.length));
        RunConfig run = ConfigLoader.load(Path.of(args[0]), sets);
        try (NDManager warm = NDManager.newBaseManager()) {
            warm.ones(new ai.djl.ndarray.types.Shape(1)).sum(); // load libtorch before the baseline
        }
        System.gc();
        long baseline = ProcessMemory.now().residentBytes();
        long[] last = {System.nanoTime()};
        List<Double> seconds = new ArrayList<>();
        Trainer.Result result = new Trainer(run, null, false).from(RunStart.finetune(Path.of(args[1])))
                .onStep((done, manager) -> {
                    long now = System.nanoTime();
                    seconds.add((now - last[0]) / 1e9);
                    last[0] = now;
                })
                .fit();
        long peak = ProcessMemory.now().peakResidentBytes();
        MemoryEstimate estimate = MemoryEstimate.of(result.model(), run.train(), run.finetune());
        long tokens = result.tokensPerStep();
        StringBuilder perStep = new StringBuilder();
        for (double s : seconds) {
            perStep.append(String.format(Locale.ROOT, " %.1f s (%.1f tokens/s)", s, tokens / s));
        }
        System.out.printf(Locale.ROOT, "%s: %,d tokens a step; steps:%s; peak resident %s over a %s baseline; estimate %s%n",
                args[2], tokens, perStep, MemoryEstimate.bytes(peak - baseline), MemoryEstimate.bytes(baseline),
                MemoryEstimate.bytes(estimate.totalBytes()));
        System.out.println("  " + estimate.describe());
    }

    private static void writeBase(String[] args) {
        List<String> sets = new ArrayList<>(List.of(args).subList(4, args.length));
        RunConfig run = ConfigLoader.load(Path.of(args[0]), sets);
        var tokenizer = dev.tlab.tokenize.Gpt2Tokenizer.get();
        var model = run.model().forVocabulary(tokenizer.vocabSize());
        try (NDManager manager = NDManager.newBaseManager()) {
            var decoder = dev.tlab.models.DecoderLM.create(model, manager);
            java.util.Map<String, ai.djl.ndarray.NDArray> weights = new java.util.LinkedHashMap<>();
            decoder.namedParameters().forEach((name, p) -> weights.put(name, p.getArray()));
            var state = new dev.tlab.checkpoint.CheckpointState(dev.tlab.checkpoint.CheckpointState.FORMAT_VERSION, 0, 0, 0,
                    run.train().seed(), dev.tlab.train.StepSeeds.DESCRIPTION, Double.NaN, Double.NaN, 0, 0, 0, null, null,
                    dev.tlab.checkpoint.CheckpointState.TokenizerInfo.of(tokenizer), run.tree(), dev.tlab.checkpoint.Versions.tlab(),
                    dev.tlab.checkpoint.Versions.djl(), null, null, null);
            Path written = dev.tlab.checkpoint.CheckpointDirectory.write(Path.of(args[1]), "step-000000", weights,
                    java.util.Map.of(), state, tokenizer);
            System.out.printf(Locale.ROOT, "base: %,d parameters in %s%n", model.parameterCount(), written);
        }
    }
}
