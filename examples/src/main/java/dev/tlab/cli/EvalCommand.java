package dev.tlab.cli;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.config.ConfigLoader;
import dev.tlab.errors.ConfigException;
import dev.tlab.eval.ContextEval;
import dev.tlab.train.Devices;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Validation loss of a trained language model at several context lengths: does it extrapolate past"
                    + " the context it trained on?",
            "Each context is scored on the same number of fixed random windows of the validation split (mean"
                    + " cross-entropy over every position). Learned positions have no row past model.context;"
                    + " such contexts are reported as not available."
        })
final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (its newest checkpoint) or one checkpoint directory.")
    Path run;

    @Option(names = "--checkpoint", paramLabel = "WHICH", defaultValue = CheckpointDirectory.LATEST,
            description = "Which checkpoint of RUN: latest (the newest complete one), best (lowest validation loss,"
                    + " checkpoints/best/) or a path, e.g. step-000500 (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--contexts", split = ",", paramLabel = "N", description = "Context lengths to score, e.g. 64,128,256"
            + " (default: the training context, 2x and 4x).")
    List<Integer> contexts;

    @Option(names = "--batches", defaultValue = "0", description = "Validation batches per context; 0 = the run's train.eval_batches (default: ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--data", paramLabel = "PATH", description = "Corpus to take the validation split from (default: the run's data.path).")
    Path data;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        Devices.check("--device", device);
        if (batches < 0) {
            throw new ConfigException("--batches must be >= 0, got " + batches);
        }
        Path chosen = CheckpointDirectory.choose(run, checkpoint);
        List<Integer> asked = contexts;
        if (asked == null) {
            Path checkpoint = CheckpointDirectory.find(chosen);
            var state = CheckpointDirectory.readState(checkpoint);
            int trained = ConfigLoader.fromTree(state.config(), checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(),
                    List.of()).model().context();
            asked = List.of(trained, 2 * trained, 4 * trained);
        }
        PrintWriter err = spec.commandLine().getErr();
        ContextEval.Evaluation result = ContextEval.evaluate(chosen, asked, batches, Devices.resolve("--device", device), data, note -> {
            err.println(note);
            err.flush();
        });
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s (step %d): trained at context %d, positional %s%n", result.checkpoint(), result.step(),
                result.trainedContext(), result.positional());
        out.printf(Locale.ROOT, "%8s  %8s  %s%n", "context", "val loss", "bits per byte");
        for (ContextEval.ContextLoss loss : result.losses()) {
            out.printf(Locale.ROOT, "%8d  %s%n", loss.context(), loss.available()
                    ? String.format(Locale.ROOT, "%8.4f  %.4f", loss.valLoss(), result.bitsPerByte(loss.valLoss()))
                    : "n/a: " + loss.unavailable());
        }
        out.flush();
        return 0;
    }
}
