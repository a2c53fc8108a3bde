package dev.tlab.inspect;

import ai.djl.Device;
import dev.tlab.config.RunConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.memory.AvailableMemory;
import dev.tlab.memory.MemoryEstimate;
import dev.tlab.models.ModelConfig;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.train.Devices;
import dev.tlab.train.Tasks;
import java.util.Locale;

/**
 * What a config would train, read without building the model: its shape, parameter count, the
 * tokens it will see, the memory a step needs against what the device has, and whether this
 * machine's libtorch can run its precision.
 *
 * @param text the report, one fact per line
 * @param fits whether the estimate fits in the memory available now
 * @param refusal why the run would be refused at its start here although the config is valid (bf16
 *     on a JNI library that cannot hold it), or null
 */
public record ConfigReport(String text, boolean fits, String refusal) {

    /** Whether {@code tlab train} would start: it fits and nothing refuses it. */
    public boolean runs() {
        return fits && refusal == null;
    }

    public static ConfigReport of(RunConfig run) {
        ModelConfig model = Tasks.plannedModel(run);
        TrainConfig train = run.train();
        Device device = Devices.resolve(train.device());
        MemoryEstimate estimate = MemoryEstimate.of(model, train, run.finetune());
        double available = AvailableMemory.bytes(device);
        boolean fits = estimate.totalBytes() <= available;
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "run: %s (outputs in %s)%n", run.name(), run.runDir()));
        text.append(String.format(Locale.ROOT,
                "model: %s, %d layers, d_model %d, %d heads, d_ff %d (%s), context %d, %s positions, vocabulary %d (%s)%n",
                model.type(), model.layers(), model.dModel(), model.heads(), model.ffHidden(), model.ffn(), model.context(),
                model.positional(), model.vocabSize(), run.data().tokenizer()));
        text.append(String.format(Locale.ROOT, "parameters: %,d%n", Math.round(model.parameters())));
        if (run.finetune().isLora()) {
            var lora = run.finetune().lora();
            text.append(String.format(Locale.ROOT,
                    "finetune: lora, rank %d, alpha %s, targets %s: %,d adapter parameters train; the base is frozen in %s%n",
                    lora.rank(), lora.alpha(), String.join(", ", lora.targets()), Math.round(lora.parameters(model)),
                    run.finetune().basePrecision()));
        }
        long tokensPerStep = (long) train.batchSize() * model.context() * train.gradAccum();
        text.append(String.format(Locale.ROOT,
                "training: %,d steps x %d micro-batch(es) of %d x %d tokens = %,d tokens, %s on %s%n",
                train.steps(), train.gradAccum(), train.batchSize(), model.context(),
                (double) tokensPerStep * train.steps() > Long.MAX_VALUE ? Long.MAX_VALUE : tokensPerStep * train.steps(),
                train.precision(), device));
        text.append("memory: about ").append(estimate.describe()).append(System.lineSeparator());
        text.append(String.format(Locale.ROOT, "available: %s on %s: %s%n", MemoryEstimate.bytes(available), device,
                fits ? "fits" : "does not fit; reduce " + estimate.drivers()));
        String refusal = TrainingPrecision.refusal(train);
        if (refusal != null) {
            text.append("refused here: ").append(refusal).append(System.lineSeparator());
        }
        return new ConfigReport(text.toString(), fits, refusal);
    }
}
