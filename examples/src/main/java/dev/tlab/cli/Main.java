package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import dev.tlab.files.DiskSpace;
import dev.tlab.files.OutputPath;
import dev.tlab.train.TrainingStopped;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tlab}: train and sample small Transformers on the JVM. */
@Command(
        name = "tlab",
        mixinStandardHelpOptions = true,
        version = "tlab 0.1.0",
        description = "Train small Transformers on the JVM (DJL + PyTorch), and sample from them.",
        subcommands = {TrainCommand.class, PrepareCommand.class, ResumeCommand.class, FinetuneCommand.class, InspectCommand.class,
            PlotCommand.class, CompareCommand.class, SampleCommand.class, ChatCommand.class, EvalCommand.class, AblateCommand.class,
            BenchCommand.class, ImportCommand.class, ExportCommand.class, CommandLine.HelpCommand.class},
        // Each line fits the help's 80 columns, so that no example is cut in the middle; longer ones go on
        // over a second line, after a backslash, as a shell would take them.
        footer = {
            "",
            "Examples:",
            "  tlab train configs/shakespeare-char.yaml",
            "  tlab train configs/shakespeare-char.yaml --set train.steps=200 \\",
            "      --set model.layers=2",
            "  tlab resume runs/shakespeare-char --set train.steps=3000",
            "  tlab finetune configs/finetune-pride.yaml \\",
            "      --from runs/shakespeare-char/checkpoints/best",
            "  tlab inspect runs/shakespeare-char",
            "  tlab sample runs/shakespeare-char --prompt \"ROMEO:\" --tokens 400",
            "  tlab eval runs/shakespeare-char --checkpoint best --contexts 16,32,64",
            "  tlab plot runs/shakespeare-char",
            "  tlab compare 'runs/ln-x-pos/*' --markdown compare.md --plot compare.png",
            "  tlab ablate configs/ablations/ln-x-pos.yaml",
            "  tlab bench configs/shakespeare-char.yaml --steps 200",
            "  tlab import gpt2 models/gpt2 --out runs/gpt2",
            "  tlab export runs/gpt2-shakespeare --format hf exported/gpt2-shakespeare"
        })
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        SignalWatch.holdUntilExit();
        // UTF-8 whatever the locale: generated text may hold any character, and a POSIX locale would print '?'.
        System.exit(run(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true), args));
    }

    /**
     * Runs the tool; bad input becomes one clear line on {@code err} and exit code 2, a run stopped by
     * SIGTERM or SIGINT one line saying how to continue it and exit code 143 or 130.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        // A mistyped option gets one line naming it; the usage text is for --help.
        cli.setParameterExceptionHandler(
                (e, arguments) -> {
                    CommandLine command = e.getCommandLine();
                    if (command == cli && e instanceof CommandLine.UnmatchedArgumentException unmatched
                            && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
                        // `tlab trian ...`: picocli would say "Unmatched argument at index 0".
                        List<String> names = new ArrayList<>(cli.getSubcommands().keySet());
                        List<String> close = unmatched.getSuggestions().stream().filter(names::contains).toList();
                        command.getErr().println("error: unknown command '" + unmatched.getUnmatched().get(0) + "'"
                                + (close.isEmpty() ? "" : " (did you mean " + String.join(" or ", close) + "?)")
                                + "; the commands are: " + String.join(", ", names) + " (see tlab --help)");
                        command.getErr().flush();
                        return 2;
                    }
                    // `train --bogus` lacks its CONFIG too; the option typed is the likelier mistake.
                    String message = e instanceof CommandLine.MissingParameterException
                            && !command.getUnmatchedArguments().isEmpty()
                            ? "Unknown option: '" + command.getUnmatchedArguments().get(0) + "'" : e.getMessage();
                    command.getErr().println("error: " + message.strip().replace('\n', ' ')
                            + " (see " + command.getCommandSpec().qualifiedName() + " --help)");
                    command.getErr().flush();
                    return 2;
                });
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    if (e instanceof CommandStopped stopped) {
                        commandLine.getErr().println(stopped.getMessage());
                        commandLine.getErr().flush();
                        return stopped.exitCode();
                    }
                    if (e instanceof TrainingStopped stopped) {
                        commandLine.getErr().println(stopped.getMessage());
                        commandLine.getErr().flush();
                        return stopped.exitCode();
                    }
                    Throwable cause = e;
                    while (cause != null && !(cause instanceof ConfigException)) {
                        cause = cause.getCause();
                    }
                    if (cause != null) {
                        commandLine.getErr().println("error: " + cause.getMessage());
                        commandLine.getErr().flush();
                        return 2;
                    }
                    if (e instanceof java.io.UncheckedIOException unchecked
                            && unchecked.getCause() instanceof java.nio.file.FileSystemException fs) {
                        // A path the command could not write or read (a file where a folder goes, no permission).
                        String what = unchecked.getMessage();
                        commandLine.getErr().println("error: " + (what == null || what.equals(fs.toString())
                                ? OutputPath.reason(fs) : what + " (" + OutputPath.reason(fs) + ")"));
                        commandLine.getErr().flush();
                        return 2;
                    }
                    if (DiskSpace.isFull(e)) {
                        // A write with no more precise report: the file it names, and what is free there.
                        java.nio.file.Path file = DiskSpace.fileOf(e);
                        commandLine.getErr().println("error: " + (file != null ? DiskSpace.full(file, -1, "", e).getMessage()
                                : "no space left on device: " + e.getMessage()));
                        commandLine.getErr().flush();
                        return 2;
                    }
                    throw e;
                });
        return cli.execute(args);
    }
}
