package dev.tlab.hf;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each of tlab's decoder tensors sits in Hugging Face's GPT-2: its name there and whether it
 * is stored transposed. GPT-2's {@code Conv1D} keeps weights as {@code [in, out]} while tlab's
 * {@code Dense} (like {@code torch.nn.Linear}) keeps {@code [out, in]}, so the four projection
 * weights are transposed, as nanoGPT's {@code from_pretrained} does; everything else is copied.
 */
public final class Gpt2Layout {

    /** What {@code save_pretrained} puts before every name; the hub's {@code gpt2} file has none. */
    public static final String PREFIX = "transformer.";

    private Gpt2Layout() {}

    /** Every tensor of a GPT-2 of this shape, in GPT-2's order. */
    public static List<HfTensor> tensors(Gpt2Config c) {
        long d = c.dModel();
        long inner = c.inner();
        List<HfTensor> out = new ArrayList<>();
        out.add(HfTensor.renamed("wte.weight", "wte.weight", c.vocabSize(), d));
        out.add(HfTensor.renamed("wpe.weight", "wpe.weight", c.positions(), d));
        for (int i = 0; i < c.layers(); i++) {
            String t = "h." + i + ".";
            vector(out, t + "ln1", t + "ln_1", d, "weight");
            vector(out, t + "ln1", t + "ln_1", d, "bias");
            out.add(HfTensor.transposed(t + "attn.qkv.weight", t + "attn.c_attn.weight", d, 3 * d));
            vector(out, t + "attn.qkv", t + "attn.c_attn", 3 * d, "bias");
            out.add(HfTensor.transposed(t + "attn.proj.weight", t + "attn.c_proj.weight", d, d));
            vector(out, t + "attn.proj", t + "attn.c_proj", d, "bias");
            vector(out, t + "ln2", t + "ln_2", d, "weight");
            vector(out, t + "ln2", t + "ln_2", d, "bias");
            out.add(HfTensor.transposed(t + "mlp.fc.weight", t + "mlp.c_fc.weight", d, inner));
            vector(out, t + "mlp.fc", t + "mlp.c_fc", inner, "bias");
            out.add(HfTensor.transposed(t + "mlp.proj.weight", t + "mlp.c_proj.weight", inner, d));
            vector(out, t + "mlp.proj", t + "mlp.c_proj", d, "bias");
        }
        vector(out, "lnf", "ln_f", d, "weight");
        vector(out, "lnf", "ln_f", d, "bias");
        return out;
    }

    /**
     * Tensors GPT-2 files may hold that carry no weights tlab needs: the causal-mask buffers
     * ({@code attn.bias}, {@code attn.masked_bias}) and a head tied to {@code wte}.
     */
    public static boolean ignored(String hfName) {
        return hfName.endsWith(".attn.bias") || hfName.endsWith(".attn.masked_bias") || hfName.equals("lm_head.weight");
    }

    private static void vector(List<HfTensor> out, String tlab, String hf, long size, String kind) {
        out.add(HfTensor.renamed(tlab + "." + kind, hf + "." + kind, size));
    }
}
