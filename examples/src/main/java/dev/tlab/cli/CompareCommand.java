package dev.tlab.cli;

import dev.tlab.compare.Comparison;
import dev.tlab.compare.ComparisonPlot;
import dev.tlab.compare.RunRecord;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.OutputPath;
import dev.tlab.metrics.Plots;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Compare runs: one table of their final and best val loss, bits per byte, tokens/s and wall time,"
                    + " with only the config keys whose values differ between them; optionally as Markdown and CSV"
                    + " files and one plot of their val-loss curves.",
            "Reads each run's done.json, metrics.jsonl and config.resolved.yaml; an unfinished run is read from"
                    + " its metrics and marked."
        })
final class CompareCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "RUN", description = {
        "Run directories, or globs of them in quotes (e.g. 'runs/ln-x-pos/*'): a glob keeps the directories that"
                + " hold a metrics.jsonl."})
    List<String> runs;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the table as Markdown.")
    Path markdown;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the table as CSV.")
    Path csv;

    @Option(names = "--plot", paramLabel = "PNG", description = "Also draw the runs' val-loss curves in one plot.")
    Path plot;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        for (var target : new Object[][] {{"--markdown", markdown}, {"--csv", csv}, {"--plot", plot}}) {
            if (target[1] != null) {
                OutputPath.requireFile((String) target[0], (Path) target[1]);
            }
        }
        List<RunRecord> records = new ArrayList<>();
        for (Path dir : expand(runs)) {
            records.add(RunRecord.read(dir));
        }
        if (plot != null && !Plots.supported()) {
            throw new ConfigException("--plot: " + Plots.MISSING);
        }
        Comparison comparison = new Comparison(records);
        PrintWriter out = spec.commandLine().getOut();
        out.print(comparison.text());
        write("--markdown", markdown, comparison.markdown(), out);
        write("--csv", csv, comparison.csv(), out);
        if (plot != null) {
            ComparisonPlot.write(comparison, plot);
            out.println("wrote " + plot);
        }
        out.flush();
        return 0;
    }

    /** Paths as given, a glob's matches (directories with a metrics.jsonl) in name order; none is an error. */
    static List<Path> expand(List<String> arguments) {
        List<Path> dirs = new ArrayList<>();
        for (String argument : arguments) {
            if (!argument.matches(".*[*?\\[{].*")) {
                dirs.add(Path.of(argument));
                continue;
            }
            Path pattern = Path.of(argument);
            Path parent = pattern.getParent() == null ? Path.of(".") : pattern.getParent();
            List<Path> matches = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, pattern.getFileName().toString())) {
                stream.forEach(p -> {
                    if (Files.isRegularFile(p.resolve("metrics.jsonl"))) {
                        matches.add(p);
                    }
                });
            } catch (IOException e) {
                throw new ConfigException(argument + ": cannot list " + parent + " (" + e.getMessage() + ")", e);
            }
            if (matches.isEmpty()) {
                throw new ConfigException(argument + ": no run directories match");
            }
            matches.sort(null);
            dirs.addAll(matches);
        }
        return dirs;
    }

    private static void write(String flag, Path file, String text, PrintWriter out) {
        if (file == null) {
            return;
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new ConfigException(flag + ": cannot write " + file + " (" + OutputPath.reason(e) + ")", e);
        }
        out.println("wrote " + file);
    }
}
