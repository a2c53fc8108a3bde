package dev.tlab.cli;

import dev.tlab.config.ConfigLoader;
import dev.tlab.errors.ConfigException;
import dev.tlab.inspect.CheckpointReport;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Describe a checkpoint without loading it: step, tokens seen, latest and best val loss, a summary of its"
                    + " config, and every parameter's name, dtype, shape and count (from the safetensors headers).",
            "Given a run directory, shows its newest complete checkpoint and the state of every checkpoint in it"
                    + " (complete, or what is missing or truncated). Also takes any .safetensors file.",
            "Given a run config (.yaml), shows what it would train without training: the model's shape and parameter"
                    + " count, the tokens it sees, and the memory one step needs against what the device has"
                    + " (exit code 2 when it does not fit, or its precision cannot run here); the same as tlab train CONFIG"
                    + " --dry-run."
        })
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATH",
            description = "A run directory (e.g. runs/shakespeare-char), a checkpoint directory, a .safetensors file"
                    + " or a run config (.yaml).")
    Path path;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "With a run config: override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (path.getFileName() != null && path.getFileName().toString().matches(".*\\.ya?ml")) {
            return TrainCommand.dryRun(ConfigLoader.load(path, overrides), spec.commandLine().getOut());
        }
        if (!overrides.isEmpty()) {
            throw new ConfigException("--set applies to a run config (.yaml), not to " + path);
        }
        spec.commandLine().getOut().print(CheckpointReport.describe(path));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
