package dev.tlab.cli;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.hf.HfImport;
import dev.tlab.inspect.ConfigReport;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train a model from a YAML run config.",
            "Outputs go to <output.dir>/<name>/: config.resolved.yaml, metrics.jsonl (one JSON row per"
                    + " logged step), checkpoints/step-NNNNNN/ (model.safetensors, optimizer.safetensors,"
                    + " state.json), loss.png, samples.txt and TensorBoard event files (events.out.tfevents.*).",
            "Every key, its default and allowed values: docs/CONFIG.md."
        })
final class TrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Run config, e.g. configs/shakespeare-char.yaml.")
    Path config;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = {
                "Override one config key (repeatable), e.g. --set train.steps=200 --set train.betas=[0.9,0.95].",
                "Values are read as YAML; an unknown key is an error that lists the valid ones."
            })
    List<String> overrides = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Option(names = "--resume", description = {
        "Continue the run from the newest complete checkpoint in <output.dir>/<name>/ (see tlab resume);"
                + " the model and vocabulary must match the checkpoint's."})
    boolean resume;

    @Option(names = "--dry-run", description = {
        "Print what the run would train (model shape, parameter count, tokens) and the memory one step needs"
                + " against what the device has, then exit without training: 0 if it fits and can run here, 2 if not"
                + " (too large, or train.precision=bf16 on a JNI library without bfloat16)."})
    boolean dryRun;

    @Override
    public Integer call() {
        RunConfig run = ConfigLoader.load(config, overrides);
        if (dryRun) {
            return dryRun(run, spec.commandLine().getOut());
        }
        boolean terminal = System.console() != null;
        Trainer trainer = new Trainer(run, quiet ? null : spec.commandLine().getErr(), terminal);
        if (resume) {
            trainer.from(HfImport.resumeFrom(run.runDir()));
        }
        try (SignalWatch signals = SignalWatch.install(run.train().checkpointSignal())) {
            trainer.stopOn(signals.request()).fit();
        }
        return 0;
    }

    /** {@code --dry-run} and {@code inspect CONFIG}: the report, and exit code 2 when the run would not start. */
    static int dryRun(RunConfig run, java.io.PrintWriter out) {
        ConfigReport report = ConfigReport.of(run);
        out.print(report.text());
        out.flush();
        return report.runs() ? 0 : 2;
    }
}
