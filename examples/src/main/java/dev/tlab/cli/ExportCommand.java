package dev.tlab.cli;

import dev.tlab.errors.ConfigException;
import dev.tlab.files.OutputPath;
import dev.tlab.hf.HfExport;
import dev.tlab.peft.LoraExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Write a checkpoint as a Hugging Face model folder that AutoModelForCausalLM.from_pretrained(OUT_DIR) loads:"
                    + " config.json, model.safetensors (shards and model.safetensors.index.json above 5 GB),"
                    + " generation_config.json, and tokenizer.json with tokenizer_config.json for bpe and hf runs.",
            "The family is the one that expresses the model: GPT-2 for learned positions, LayerNorm, GELU, biases and"
                    + " a tied head; Llama for rope + swiglu + rmsnorm + pre-norm (Qwen2 with q/k/v biases alone, Qwen3"
                    + " with qk_norm). What no family expresses (alibi, relative, post-LN, a character vocabulary, ...)"
                    + " is refused, naming the key. OUT_DIR must not hold a model already.",
            "A LoRA run exports its adapter with --format peft (adapter_config.json and adapter_model.safetensors, which"
                    + " PeftModel.from_pretrained(base, OUT_DIR) loads over the base's Hugging Face folder), or the base"
                    + " with the adapter merged into its weights with --format hf --merge."
        })
final class ExportCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN|CHECKPOINT", description = "A run directory (its newest complete checkpoint) or one checkpoint.")
    Path source;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "The folder to write.")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "hf: a Hugging Face folder (GPT-2, Llama, Qwen2 or Qwen3); peft: a LoRA run's adapter.")
    String format;

    @Option(names = "--merge", description = "With --format hf, for a LoRA run: the base with the adapter merged in.")
    boolean merge;

    @Override
    public Integer call() {
        OutputPath.requireDirectory("OUT_DIR", out);
        Consumer<String> say = line -> {
            spec.commandLine().getErr().println(line);
            spec.commandLine().getErr().flush();
        };
        switch (format) {
            case "hf" -> {
                if (merge) {
                    LoraExport.merged(source, out, say);
                } else {
                    HfExport.run(source, out, say);
                }
            }
            case "peft" -> {
                if (merge) {
                    throw new ConfigException("--merge goes with --format hf; --format peft writes the adapter alone");
                }
                LoraExport.peft(source, out, say);
            }
            default -> throw new ConfigException("--format: unknown '" + format + "'; tlab exports hf and peft");
        }
        return 0;
    }
}
