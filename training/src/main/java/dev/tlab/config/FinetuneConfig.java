package dev.tlab.config;

import dev.tlab.errors.ConfigException;
import dev.tlab.lora.LoraSpec;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How {@code tlab finetune} starts from a checkpoint.
 *
 * @param freeze parameter name globs ({@code *} matches any run of characters, dots included)
 *     whose tensors stay fixed; applies to any run that sets it
 * @param vocab what to do when the data has characters the checkpoint's vocabulary lacks
 * @param resumeOptimizer load the checkpoint's AdamW moments and step count instead of starting fresh
 * @param method train every weight, or a LoRA adapter over a frozen base
 * @param lora the adapter of a {@code lora} run
 * @param basePrecision fp32, fp16 or bf16: the type a LoRA run holds its frozen base in
 */
public record FinetuneConfig(List<String> freeze, VocabPolicy vocab, boolean resumeOptimizer, Method method,
        LoraSpec lora, String basePrecision) {

    /** Every weight trains, or only a LoRA adapter does. */
    public enum Method {
        FULL,
        LORA;

        public static Method parse(String value) {
            for (Method m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return m;
                }
            }
            throw new ConfigException("finetune.method: unknown value '" + value + "'; allowed: full, lora");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether this run trains a LoRA adapter. */
    public boolean isLora() {
        return method == Method.LORA;
    }

    /** New characters: add rows for them (old rows kept) or refuse. */
    public enum VocabPolicy {
        EXTEND,
        REJECT;

        public static VocabPolicy parse(String value) {
            for (VocabPolicy p : values()) {
                if (p.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return p;
                }
            }
            throw new ConfigException("finetune.vocab: unknown value '" + value + "'; allowed: extend, reject");
        }
    }

    public FinetuneConfig {
        freeze = List.copyOf(freeze);
        for (String glob : freeze) {
            if (glob.isBlank()) {
                throw new ConfigException("finetune.freeze: empty pattern");
            }
        }
        if (lora.rank() < 1) {
            throw new ConfigException("finetune.lora.rank: " + lora.rank() + "; must be at least 1");
        }
        if (!(lora.alpha() > 0) || Double.isInfinite(lora.alpha())) {
            throw new ConfigException("finetune.lora.alpha: " + lora.alpha() + "; must be a positive number");
        }
        if (!(lora.dropout() >= 0 && lora.dropout() < 1)) {
            throw new ConfigException("finetune.lora.dropout: " + lora.dropout() + "; must be in [0, 1)");
        }
        if (lora.targets().isEmpty()) {
            throw new ConfigException("finetune.lora.targets: empty; name projections (q, k, v, o, gate, up, down) or all");
        }
        for (String target : lora.targets()) {
            if (!target.equals(LoraSpec.ALL) && !LoraSpec.PROJECTIONS.contains(target)) {
                throw new ConfigException("finetune.lora.targets: unknown '" + target + "'; allowed: "
                        + String.join(", ", LoraSpec.PROJECTIONS) + ", all");
            }
        }
        if (!List.of("fp32", "fp16", "bf16").contains(basePrecision)) {
            throw new ConfigException("finetune.base_precision: unknown value '" + basePrecision + "'; allowed: fp32, fp16, bf16");
        }
        if (method == Method.LORA && !freeze.isEmpty()) {
            throw new ConfigException("finetune.freeze: " + freeze + " with finetune.method lora, which freezes the whole base"
                    + " already; drop one of them");
        }
        if (method == Method.FULL && !basePrecision.equals("fp32")) {
            throw new ConfigException("finetune.base_precision: " + basePrecision + " needs finetune.method lora (a full"
                    + " fine-tune trains the base, whose masters stay fp32)");
        }
    }

    /** {@code *} matches any characters, {@code ?} one; everything else is literal. */
    public static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
