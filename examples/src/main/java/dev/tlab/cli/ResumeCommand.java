package dev.tlab.cli;

import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.hf.HfImport;
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
        name = "resume",
        mixinStandardHelpOptions = true,
        description = {
            "Continue a run from its newest complete checkpoint, exactly as if it had never stopped: weights, AdamW"
                    + " moments, step, data position and dropout masks all carry on, so the result is bit-identical"
                    + " to an uninterrupted run on the same machine.",
            "A checkpoint whose files are missing, truncated or corrupt (checked against the sizes and SHA-256"
                    + " in its state.json), and any leftover step-*.tmp directory, is passed over for the previous"
                    + " complete one.",
            "The run's own config (from the checkpoint) is used. --set may change it, e.g. --set train.steps=4000"
                    + " to train further; a different model or vocabulary is refused with the differences listed.",
            "More steps re-stretch the cosine to the new end, so the learning rate climbs back up (the start-up notes"
                    + " give the rate before and after); --set train.extend=constant keeps the old end and trains the"
                    + " added steps at train.min_lr."
        })
final class ResumeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (e.g. runs/shakespeare-char) or one of its checkpoints.")
    Path run;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one key of the run's config (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        RunStart start = HfImport.resumeFrom(run);
        Path checkpoint = start.checkpoint();
        Path checkpoints = checkpoint.toAbsolutePath().normalize().getParent();
        if (checkpoints == null || !checkpoints.getFileName().toString().equals("checkpoints")) {
            throw new ConfigException(checkpoint + " is not inside a run's checkpoints/ directory; use tlab finetune to start a new run from it");
        }
        // The run continues where it is, whatever its config said about output.dir and name.
        RunConfig config = ConfigLoader.withOverrides(start.savedConfig(), overrides).withRunDir(checkpoints.getParent());
        Trainer trainer = new Trainer(config, quiet ? null : spec.commandLine().getErr(), System.console() != null).from(start);
        try (SignalWatch signals = SignalWatch.install(config.train().checkpointSignal())) {
            trainer.stopOn(signals.request()).fit();
        }
        return 0;
    }
}
