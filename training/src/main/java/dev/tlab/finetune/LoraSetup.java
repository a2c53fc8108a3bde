package dev.tlab.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.tlab.config.FinetuneConfig;
import dev.tlab.djl.DjlInternals;
import dev.tlab.errors.ConfigException;
import dev.tlab.lora.Lora;
import dev.tlab.lora.LoraSpec;
import dev.tlab.models.TokenModel;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code finetune.method: lora} does to a built model: adapters attached to the targeted
 * projections, every base parameter frozen (no gradient, so no AdamW state: it stays bit-identical),
 * and the base held in {@code finetune.base_precision}.
 */
public final class LoraSetup {

    private LoraSetup() {}

    /** The adapters {@code finetune} asks for, attached to {@code model}; null for a full fine-tune. */
    public static Lora attach(FinetuneConfig finetune, TokenModel model, NDManager manager) {
        if (!finetune.isLora()) {
            return null;
        }
        return attach(finetune.lora(), model, manager);
    }

    /** Adapters of {@code spec} on {@code model}; a target the model lacks is refused naming the key. */
    public static Lora attach(LoraSpec spec, TokenModel model, NDManager manager) {
        try {
            return Lora.attach(model, spec, manager);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("finetune.lora.targets: " + e.getMessage(), e);
        }
    }

    /** Stops every base parameter from recording a gradient. */
    public static void freeze(Map<String, Parameter> base) {
        base.values().forEach(p -> p.getArray().setRequiresGradient(false));
    }

    /**
     * Holds the (loaded, frozen) base in {@code precision}: fp16 or bf16 replace each fp32 array
     * with a half copy, halving the base's memory; fp32 keeps them.
     */
    public static void holdBase(Map<String, Parameter> base, String precision) {
        DataType type = switch (precision) {
            case "fp16" -> DataType.FLOAT16;
            case "bf16" -> DataType.BFLOAT16;
            default -> null;
        };
        if (type == null) {
            return;
        }
        for (Parameter parameter : base.values()) {
            NDArray full = parameter.getArray();
            NDArray half = full.toType(type, false);
            half.setRequiresGradient(false);
            DjlInternals.replaceArray(parameter, half);
            full.close();
        }
    }

    /** One start-up line: what trains and what is frozen. */
    public static String describe(Lora lora, Map<String, Parameter> base, FinetuneConfig finetune) {
        long adapter = lora.parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
        long frozen = base.values().stream().mapToLong(p -> p.getArray().size()).sum();
        LoraSpec spec = lora.spec();
        return String.format(Locale.ROOT, "lora: rank %d, alpha %s, dropout %s, targets %s on %d projections: %,d adapter"
                        + " parameters train (%.2f%% of the base's %,d, frozen in %s)", spec.rank(), spec.alpha(), spec.dropout(),
                String.join(", ", spec.targets()), lora.adapters().size(), adapter, 100.0 * adapter / frozen, frozen,
                finetune.basePrecision());
    }
}
