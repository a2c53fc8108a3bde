package dev.tlab.peft;

import dev.tlab.checkpoint.TensorSource;
import dev.tlab.lora.LoraSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A {@code peft} LoRA adapter read for tlab ({@link PeftImport}): its shape in tlab's keys and its
 * factors under tlab's names ({@code h.0.attn.qkv.lora_a.q}).
 *
 * @param dir the adapter folder
 */
public record PeftAdapter(Path dir, LoraSpec spec, TensorSource weights) {

    /** The config overrides that give a run this adapter's shape. */
    public List<String> overrides() {
        return List.of("finetune.method=lora", "finetune.lora.rank=" + spec.rank(),
                "finetune.lora.alpha=" + String.format(Locale.ROOT, "%s", spec.alpha()),
                "finetune.lora.dropout=" + String.format(Locale.ROOT, "%s", spec.dropout()),
                "finetune.lora.targets=[" + String.join(", ", spec.targets()) + "]");
    }
}
