package dev.tlab.peft;

import dev.tlab.errors.ConfigException;
import dev.tlab.hf.HfModel;
import dev.tlab.hf.HfTensor;
import dev.tlab.layers.Dense;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where tlab's LoRA adapters sit in a {@code peft} adapter folder for a family: the module each
 * projection part is in Hugging Face's model, read off the family's table of names. Llama's q, k and
 * v are separate modules ({@code self_attn.q_proj}...), so each of tlab's parts is one module; GPT-2's
 * {@code attn.c_attn} is fused as tlab's {@code qkv} is, so one module covers all three parts.
 */
public final class PeftLayout {

    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** What {@code PeftModel} puts before the base model's own module names. */
    public static final String PREFIX = "base_model.model.";

    /**
     * One Hugging Face module that an adapter can sit on.
     *
     * @param name its full name in the base model ({@code model.layers.0.self_attn.q_proj})
     * @param projection the tlab projection it belongs to ({@code h.0.attn.qkv})
     * @param parts the parts of that projection it covers, in order (all of them when fused)
     */
    public record Module(String name, String projection, List<Dense.Part> parts) {

        /** The short name peft's {@code target_modules} matches by suffix: the last two components. */
        public String target() {
            String[] pieces = name.split("\\.");
            return pieces.length < 2 ? name : pieces[pieces.length - 2] + "." + pieces[pieces.length - 1];
        }

        /** The A factor's key in {@code adapter_model.safetensors}. */
        public String aKey() {
            return PREFIX + name + ".lora_A.weight";
        }

        public String bKey() {
            return PREFIX + name + ".lora_B.weight";
        }
    }

    private PeftLayout() {}

    /**
     * Every module of {@code family} that holds one of {@code projections} (by path, as {@link
     * dev.tlab.lora.Lora#projections} lists them), in the model's order.
     *
     * @throws ConfigException if a projection has no place in the family's table
     */
    public static List<Module> modules(HfModel family, Map<String, Dense> projections) {
        Map<String, HfTensor> byTlab = new LinkedHashMap<>();
        family.tensors().forEach(t -> byTlab.put(t.tlab(), t));
        List<Module> out = new ArrayList<>();
        for (var entry : projections.entrySet()) {
            Dense dense = entry.getValue();
            HfTensor tensor = byTlab.get(entry.getKey() + ".weight");
            if (tensor == null) {
                throw new ConfigException(entry.getKey() + " has no place in " + family.family() + "'s layout");
            }
            List<HfTensor.Part> hf = tensor.parts();
            if (hf.size() == 1) {
                out.add(new Module(family.prefix() + module(hf.get(0).name()), entry.getKey(), dense.parts()));
            } else if (hf.size() == dense.parts().size()) {
                for (int i = 0; i < hf.size(); i++) {
                    if (hf.get(i).shape()[0] != dense.parts().get(i).size()) {
                        throw new IllegalStateException(hf.get(i) + " does not match " + entry.getKey() + "'s part "
                                + dense.parts().get(i));
                    }
                    out.add(new Module(family.prefix() + module(hf.get(i).name()), entry.getKey(), List.of(dense.parts().get(i))));
                }
            } else {
                throw new IllegalStateException(entry.getKey() + ": " + hf.size() + " Hugging Face tensors for "
                        + dense.parts().size() + " parts");
            }
        }
        return out;
    }

    /** {@code model.layers.0.self_attn.q_proj.weight} to its module {@code model.layers.0.self_attn.q_proj}. */
    private static String module(String weight) {
        return weight.substring(0, weight.length() - ".weight".length());
    }
}
