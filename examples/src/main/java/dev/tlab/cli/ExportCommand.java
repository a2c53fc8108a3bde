package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import dev.tlab.hf.Gpt2Export;
import dev.tlab.files.OutputPath;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Write a checkpoint as a Hugging Face GPT-2 folder: config.json and model.safetensors"
                    + " (GPT2LMHeadModel.from_pretrained(OUT_DIR) loads it), plus tokenizer.json for bpe and hf runs.",
            "Models GPT-2 cannot express (rope, alibi, relative, rmsnorm, post-LN, swiglu, untied head, no bias,"
                    + " a character vocabulary) are refused, naming the key."
        })
final class ExportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN|CHECKPOINT", description = "A run directory (its newest complete checkpoint) or one checkpoint.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The folder to write.")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "hf: Hugging Face GPT-2.")
    String format;

    @Override
    public Integer call() {
        if (!format.equals("hf")) {
            throw new ConfigException("--format: unknown '" + format + "'; tlab exports hf");
        }
        OutputPath.requireDirectory("OUT_DIR", out);
        Gpt2Export.run(source, out, line -> {
            spec.commandLine().getErr().println(line);
            spec.commandLine().getErr().flush();
        });
        return 0;
    }
}
