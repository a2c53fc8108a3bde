package dev.tlab.cli;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.dataset.ConsoleProgress;
import dev.tlab.dataset.DataPreparation;
import dev.tlab.dataset.DatasetMeta;
import dev.tlab.dataset.PrepareListener;
import dev.tlab.errors.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "prepare",
        mixinStandardHelpOptions = true,
        description = {
            "Tokenize a run's data into token shards, for data.tokenizer gpt2, bpe or hf (train does it on first use).",
            "Reads data.path (a text file, a directory of them, a glob, or JSON Lines with data.text_field), trains the"
                    + " BPE first for data.tokenizer: bpe, and writes uint16 (or uint32) shards and meta.json into"
                    + " data.cache, or beside the source. Memory stays bounded whatever the corpus size; every core"
                    + " encodes. Unchanged inputs reuse the shards; a changed source, tokenizer or setting prepares again."
        })
final class PrepareCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Run config, e.g. configs/shakespeare-gpt2.yaml.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors and the summary.")
    boolean quiet;

    @Override
    public Integer call() {
        RunConfig run = ConfigLoader.load(config, overrides);
        if (run.data().isChat()) {
            throw new ConfigException("data.format = chat needs no preparing (train renders and tokenizes the examples at"
                    + " the start); tlab prepare is for text corpora with data.tokenizer gpt2, bpe and hf");
        }
        if (!run.data().prepared()) {
            throw new ConfigException("data.tokenizer = char needs no preparing (train reads the text at the start);"
                    + " tlab prepare is for data.tokenizer gpt2, bpe and hf");
        }
        PrintWriter err = spec.commandLine().getErr();
        PrepareListener progress = quiet ? PrepareListener.SILENT : new ConsoleProgress(err, System.console() != null);
        Path output = DataPreparation.outputDir(run.data()).toAbsolutePath().normalize();
        DataPreparation.Result result;
        try (SignalWatch signals = SignalWatch.interrupting()) {
            try {
                result = DataPreparation.prepare(run.data(), null, progress);
            } catch (RuntimeException e) {
                if (signals.stopped() != null) {
                    throw new CommandStopped(signals.stopped(), "tlab prepare of " + output, e);
                }
                throw e;
            }
        }
        DatasetMeta meta = result.shards().meta();
        PrintWriter out = spec.commandLine().getOut();
        if (quiet) {
            out.println((result.reused() ? "reused " : "prepared ") + result.shards().dir() + ": " + result.note());
        }
        out.println(String.format(Locale.ROOT, "train %,d tokens in %d shard(s), val %,d tokens (%,d bytes of text), %s;"
                        + " tokenizer %s, %,d tokens", meta.train().tokens(), meta.train().shards().size(), meta.val().tokens(),
                result.valBytes(), meta.dtype().label(), result.tokenizer().kind(), result.tokenizer().vocabSize()));
        out.flush();
        return 0;
    }
}
