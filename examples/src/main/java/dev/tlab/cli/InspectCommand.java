package dev.tlab.cli;

import dev.tlab.inspect.CheckpointReport;
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
                    + " (complete, or what is missing or truncated). Also takes any .safetensors file."
        })
final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATH",
            description = "A run directory (e.g. runs/shakespeare-char), a checkpoint directory, or a .safetensors file.")
    Path path;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(CheckpointReport.describe(path));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
