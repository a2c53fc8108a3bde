package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.files.OutputPath;
import dev.tlab.hf.Gpt2Config;
import dev.tlab.hf.HfFolder;
import dev.tlab.hf.HfImport;
import dev.tlab.hf.HfModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Import a Hugging Face model folder (config.json and model.safetensors, or a sharded"
                    + " model.safetensors.index.json; float32, float16 or bfloat16) as a tlab run with one checkpoint,"
                    + " step-000000. config.json's model_type picks the family: gpt2 (on GPT-2's tokenizer), llama, mistral,"
                    + " qwen2, qwen3 (on the folder's tokenizer.json, with its tokenizer_config.json and generation_config.json).",
            "sample, eval and finetune --from then use it like any run. tlab does not download weights; for example:",
            "  huggingface-cli download HuggingFaceTB/SmolLM2-135M --local-dir models/smollm2"
        })
final class ImportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FORMAT", description = "What to import: hf (any family above) or gpt2 (a GPT-2 folder only).")
    String format;

    @Parameters(index = "1", paramLabel = "HF_DIR", description = "The Hugging Face folder, e.g. models/smollm2.")
    Path source;

    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "The run directory to create, e.g. runs/gpt2.")
    Path out;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a non-model key of the imported run's config (repeatable), e.g. --set data.path=my.txt.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        if (!format.equals("hf") && !format.equals("gpt2")) {
            throw new ConfigException("FORMAT: unknown '" + format + "'; tlab imports hf (" + HfModels.TYPES + ") and gpt2");
        }
        if (format.equals("gpt2") && HfFolder.isFolder(source) && !(HfModels.read(source) instanceof Gpt2Config)) {
            throw new ConfigException(source + "/config.json: not a GPT-2 (model_type " + HfModels.read(source).family()
                    + "); import it with: tlab import hf " + source + " --out " + out);
        }
        OutputPath.requireDirectory("--out", out);
        var err = spec.commandLine().getErr();
        Path checkpoint;
        List<Path> created = Stream.of(out, out.resolve("checkpoints"), out.resolve("config.resolved.yaml"))
                .filter(p -> !Files.exists(p)).toList();
        try (SignalWatch signals = SignalWatch.interrupting()) {
            try {
                checkpoint = HfImport.run(source, out, overrides, line -> {
                    err.println(line);
                    err.flush();
                });
            } catch (RuntimeException e) {
                if (signals.stopped() != null) {
                    // What this import created goes; a folder that was there stays as it was.
                    for (Path path : created) {
                        try {
                            DurableFiles.deleteTree(path);
                        } catch (IOException ignored) {
                            // the message below still says the import did not finish
                        }
                    }
                    throw new CommandStopped(signals.stopped(), "tlab import of " + source + " into " + out, e);
                }
                throw e;
            }
        }
        spec.commandLine().getErr().println("imported " + source + " as " + checkpoint);
        spec.commandLine().getErr().flush();
        return 0;
    }
}
