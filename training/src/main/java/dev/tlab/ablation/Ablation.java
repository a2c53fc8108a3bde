package dev.tlab.ablation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.eval.ContextEval.ContextLoss;
import dev.tlab.metrics.ProgressBar;
import dev.tlab.metrics.RunSummary;
import dev.tlab.train.Devices;
import dev.tlab.train.StopRequest;
import dev.tlab.train.Trainer;
import dev.tlab.train.TrainingStopped;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a sweep one run after another in this process, skipping runs that are already complete
 * (their {@code done.json} exists and their config is the one planned), so an interrupted sweep
 * continues where it stopped (a run cut short resumes from its newest complete checkpoint,
 * {@code best/} included, if it left one); then measures extrapolation and writes the results.
 */
public final class Ablation {

    /** Trains one run to completion; the default is {@link Trainer#fit}, resuming a run that left a checkpoint. */
    @FunctionalInterface
    public interface Training {
        void train(RunConfig config);
    }

    /** What a call did, for the caller and for tests. */
    public record Report(List<String> trained, List<String> skipped, List<String> missing, Path dir) {}

    private final Sweep sweep;
    private final PrintWriter console;
    private Training training;
    private StopRequest stop = new StopRequest();

    public Ablation(Sweep sweep, PrintWriter console, boolean interactive) {
        this.sweep = sweep;
        this.console = console;
        this.training = config -> {
            Trainer trainer = new Trainer(config, console, interactive).stopOn(stop);
            if (CheckpointDirectory.hasCheckpoints(config.runDir().resolve("checkpoints"))) {
                trainer.from(RunStart.resume(config.runDir()));
            }
            trainer.fit();
        };
    }

    /**
     * Stops the sweep when {@code request} asks: the current run stops with a checkpoint (see
     * {@link Trainer#stopOn}) and no further run starts; {@link #run} then throws {@link TrainingStopped}.
     */
    public Ablation stopOn(StopRequest request) {
        this.stop = request;
        return this;
    }

    public Ablation training(Training training) {
        this.training = training;
        return this;
    }

    /** Trains every run not yet complete, then writes results.csv, results.md and curves.png. */
    public Report run(String command) {
        List<String> trained = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<Sweep.Run> runs = sweep.runs();
        say("ablation '" + sweep.spec().name() + "': " + runs.size() + " runs (" + sweep.settings().size()
                + " settings x " + runs.size() / sweep.settings().size() + " seeds) in " + sweep.dir());
        long start = System.nanoTime();
        for (int i = 0; i < runs.size(); i++) {
            Sweep.Run run = runs.get(i);
            String position = "[" + (i + 1) + "/" + runs.size() + "] " + run.name();
            if (isComplete(run)) {
                say(position + ": complete, skipped");
                skipped.add(run.name());
                continue;
            }
            if (stop.stopping()) {
                throw TrainingStopped.between(stop.reason(), "before run " + run.name(), command);
            }
            say(position + ": training");
            try {
                training.train(run.config());
            } catch (TrainingStopped stopped) {
                throw stopped.continuedWith(command);
            }
            if (RunSummary.read(run.dir()).isEmpty()) {
                throw new IllegalStateException(run.name() + " finished without writing " + RunSummary.FILE);
            }
            extrapolation(run);
            trained.add(run.name());
            double elapsed = (System.nanoTime() - start) / 1e9;
            say(position + ": done; sweep time so far " + ProgressBar.duration(elapsed));
        }
        Report report = collect(command);
        return new Report(trained, skipped, report.missing(), report.dir());
    }

    /** Builds the table and plots from the run directories alone (runs trained anywhere). */
    public Report collect(String command) {
        Results results = Results.read(sweep, this::completeExtrapolation);
        results.write(command);
        if (!results.missing().isEmpty()) {
            say("not complete yet (left out of the table): " + String.join(", ", results.missing()));
        }
        say("results: " + sweep.dir().resolve("results.md") + ", results.csv"
                + (dev.tlab.metrics.Plots.supported() ? ", curves.png" : "; " + dev.tlab.metrics.Plots.MISSING));
        return new Report(List.of(), List.of(), results.missing(), sweep.dir());
    }

    /**
     * Complete means {@code done.json} is there. A complete run trained with another config than
     * the one planned is an error rather than silently reused or overwritten.
     */
    boolean isComplete(Sweep.Run run) {
        if (RunSummary.read(run.dir()).isEmpty()) {
            return false;
        }
        List<String> differences = differences(run);
        if (!differences.isEmpty()) {
            throw new ConfigException(run.dir() + " is complete but was trained with another config ("
                    + String.join("; ", differences) + "). Delete that directory to re-run it, or restore the spec.");
        }
        return true;
    }

    /** Keys whose values differ between the run's config.resolved.yaml and the planned config. */
    List<String> differences(Sweep.Run run) {
        ObjectNode saved = ConfigLoader.load(run.dir().resolve("config.resolved.yaml"), List.of()).tree();
        ObjectNode planned = run.config().tree();
        // The corpus may live elsewhere on the machine that trained the run.
        for (ObjectNode tree : List.of(saved, planned)) {
            ((ObjectNode) tree.get("data")).remove("path");
        }
        List<String> out = new ArrayList<>();
        diff(saved, planned, "", out);
        return out;
    }

    private static void diff(JsonNode saved, JsonNode planned, String prefix, List<String> out) {
        if (saved.isObject() && planned.isObject()) {
            List<String> keys = new ArrayList<>();
            saved.fieldNames().forEachRemaining(keys::add);
            planned.fieldNames().forEachRemaining(k -> {
                if (!keys.contains(k)) {
                    keys.add(k);
                }
            });
            for (String key : keys) {
                diff(saved.path(key), planned.path(key), prefix + key + ".", out);
            }
        } else if (!saved.equals(planned)) {
            out.add(prefix.substring(0, prefix.length() - 1) + ": trained " + text(saved) + ", planned " + text(planned));
        }
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() ? "(absent)" : node.toString();
    }

    private List<ContextLoss> extrapolation(Sweep.Run run) {
        List<Integer> contexts = sweep.spec().contexts().stream().map(m -> m * run.config().model().context()).toList();
        return Extrapolation.ensure(run.dir(), contexts, Devices.resolve(run.config().train().device()));
    }

    /** For collecting: a complete run's extrapolation, measured now if its job did not. */
    private List<ContextLoss> completeExtrapolation(Sweep.Run run) {
        isComplete(run);
        return extrapolation(run);
    }

    private void say(String line) {
        if (console != null) {
            console.println(line);
            console.flush();
        }
    }
}
