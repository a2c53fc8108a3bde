package dev.tlab.cli;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.config.SampleConfig;
import dev.tlab.inference.TrainedModel;
import dev.tlab.sample.Sampler;
import dev.tlab.sample.TokenPicker;
import dev.tlab.train.Devices;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "sample",
        mixinStandardHelpOptions = true,
        description = {
            "Generate text from a trained model: by default the newest complete checkpoint of a run (--checkpoint"
                    + " picks another).",
            "An encoder-decoder run (e.g. configs/seq2seq-reverse.yaml) answers --prompt as its source instead:"
                    + " greedy with --temperature 0, at most --tokens tokens, until its end marker.",
            "The prompt runs once through the model to fill a KV cache; each new character then costs one"
                    + " forward pass over that character alone."
        })
final class SampleCommand implements Callable<Integer> {

    /** Errors in the sampling settings name the flags they came from. */
    private static final SampleConfig.Names FLAGS = new SampleConfig.Names("--tokens", "--temperature", "--top-k",
            "--top-p", "--stop", "--context-limit");

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (e.g. runs/shakespeare-char) or one checkpoint directory.")
    Path run;

    @Option(names = "--checkpoint", paramLabel = "WHICH", defaultValue = CheckpointDirectory.LATEST,
            description = "Which checkpoint of RUN: latest (the newest complete one), best (lowest validation loss,"
                    + " checkpoints/best/) or a path, e.g. step-000500 (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--prompt", defaultValue = "\n", description = "Text to continue; \\n and \\t are understood (default: a newline).")
    String prompt;

    @Option(names = "--tokens", defaultValue = "500", description = "Characters to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "Sample only from the k likeliest tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling: draw from the smallest set of likeliest tokens whose probability reaches p, in (0, 1]; 1 = all (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--stop", defaultValue = "", description = "Text that ends generation, left out of the output, e.g. '\\n\\n' (default: none).")
    String stop;

    @Option(names = "--context-limit", defaultValue = "slide", description = "When the text fills the model's context: slide (keep the newest half and go on) or stop (default: ${DEFAULT-VALUE}).")
    String contextLimit;

    @Option(names = "--no-cache", description = "Recompute the whole window for every token instead of using the KV cache (slower; gives the same text).")
    boolean noCache;

    @Option(names = "--seed", defaultValue = "1337", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        Devices.check("--device", device);
        SampleConfig options = SampleConfig.of(FLAGS, unescape(prompt), tokens, temperature, topK, topP, unescape(stop),
                contextLimit);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (TrainedModel model = TrainedModel.load(CheckpointDirectory.choose(run, checkpoint), Devices.resolve("--device", device), note -> {
            err.println(note);
            err.flush();
        })) {
            if (model.isEncoderDecoder()) {
                TokenPicker picker = temperature == 0 ? TokenPicker.greedy() : new TokenPicker(temperature, topK, topP, seed);
                out.println(model.answer(options.prompt(), picker, tokens, !noCache));
                out.flush();
                return 0;
            }
            Sampler.Sample sample = model.sampler().cached(!noCache).generate(options, seed);
            out.println(sample.text());
            out.flush();
            if (sample.end() == Sampler.End.CONTEXT) {
                err.printf("(stopped after %d tokens: the text filled the model's context of %d)%n",
                        sample.tokens(), model.model().config().context());
                err.flush();
            } else if (sample.end() == Sampler.End.END_OF_TEXT) {
                err.printf("(stopped after %d tokens at the model's end-of-text token)%n", sample.tokens());
                err.flush();
            }
        }
        return 0;
    }

    /** {@code \n}, {@code \t} and {@code \\} typed on a command line. */
    static String unescape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (next == 'n' || next == 't' || next == '\\') {
                    out.append(next == 'n' ? '\n' : next == 't' ? '\t' : '\\');
                    i++;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
