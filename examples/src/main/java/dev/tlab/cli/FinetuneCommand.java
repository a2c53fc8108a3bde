package dev.tlab.cli;

import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.hf.HfImport;
import dev.tlab.peft.PeftAdapter;
import dev.tlab.peft.PeftImport;
import dev.tlab.config.RunConfig;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description = {
            "Start a new run from a trained checkpoint: the weights are loaded into the model that CONFIG describes"
                    + " (its model section must match the checkpoint's, except dropout and a shorter model.context), which then trains on CONFIG's"
                    + " data with its learning rate, steps and schedule. The optimizer starts fresh unless"
                    + " --resume-optimizer (or finetune.resume_optimizer) is given.",
            "finetune.freeze lists parameter name globs to keep fixed, e.g. [\"wte.*\", \"h.0.*\"] (names: tlab inspect).",
            "Characters of the new data that the checkpoint lacks get new rows in the token table and head"
                    + " (finetune.vocab: extend, the default; old ids and rows are kept) or stop the run (reject).",
            "finetune.method: lora trains a LoRA adapter over the frozen base instead (finetune.lora: rank, alpha,"
                    + " dropout, targets); its checkpoints hold the adapter and the base's identity. --adapter continues"
                    + " from a peft LoRA adapter made for the base (its rank, alpha, dropout and targets replace CONFIG's).",
            "Outputs go to <output.dir>/<name>/ as for train; state.json records the parent checkpoint."
        })
final class FinetuneCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Run config for the fine-tune, e.g. configs/finetune-pride.yaml.")
    Path config;

    @Option(names = "--from", required = true, paramLabel = "CHECKPOINT",
            description = "A checkpoint directory (e.g. runs/shakespeare-char/checkpoints/best), a run directory (its newest complete checkpoint)"
                    + " or a Hugging Face model folder (config.json, model.safetensors and, beyond GPT-2, tokenizer.json; read in place).")
    Path from;

    @Option(names = "--adapter", paramLabel = "PEFT_DIR",
            description = "A peft LoRA adapter folder (adapter_config.json, adapter_model.safetensors) made for the base"
                    + " given with --from: training continues from it (sets finetune.method lora and its shape).")
    Path adapter;

    @Option(names = "--resume-optimizer", description = "Keep the checkpoint's AdamW moments and step count instead of starting fresh.")
    boolean resumeOptimizer;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable), e.g. --set finetune.freeze=[wte.*].")
    List<String> overrides = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>(overrides);
        if (resumeOptimizer) {
            all.add("finetune.resume_optimizer=true");
        }
        RunStart start = HfImport.finetuneFrom(from, line -> {
            if (!quiet) {
                spec.commandLine().getErr().println(line);
            }
        });
        if (adapter != null) {
            PeftAdapter read = PeftImport.forBase(start, from, adapter);
            all.addAll(read.overrides());
            start.withAdapter(read.weights());
        }
        RunConfig run = ConfigLoader.load(config, all);
        Trainer trainer = new Trainer(run, quiet ? null : spec.commandLine().getErr(), System.console() != null).from(start);
        try (SignalWatch signals = SignalWatch.install(run.train().checkpointSignal())) {
            trainer.stopOn(signals.request()).fit();
        }
        return 0;
    }
}
