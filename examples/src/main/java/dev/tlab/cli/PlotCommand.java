package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import dev.tlab.metrics.LossPlot;
import dev.tlab.metrics.Plots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "plot",
        mixinStandardHelpOptions = true,
        description = {
            "Draw a run's train and val loss curves from its metrics.jsonl as a PNG: for runs made where plots"
                    + " could not be drawn (the GPU bundle's runtime), or to redraw one."
        })
final class PlotCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN",
            description = "A run directory (e.g. runs/shakespeare-char) or a metrics.jsonl file.")
    Path path;

    @Option(names = {"-o", "--output"}, paramLabel = "PNG",
            description = "Where to write the plot (default: loss.png beside the metrics file).")
    Path output;

    @Option(names = "--title", description = "Plot title (default: the run directory's name).")
    String title;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!Plots.supported()) {
            throw new ConfigException(Plots.MISSING);
        }
        Path metrics = Files.isDirectory(path) ? path.resolve("metrics.jsonl") : path;
        Path runDir = metrics.toAbsolutePath().getParent();
        Path png = output != null ? output : runDir.resolve("loss.png");
        LossPlot.fromMetrics(metrics, title != null ? title : String.valueOf(runDir.getFileName())).write(png);
        spec.commandLine().getOut().println("wrote " + png);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
