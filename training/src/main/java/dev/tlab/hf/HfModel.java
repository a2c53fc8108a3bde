package dev.tlab.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A Hugging Face model's {@code config.json} read as one family (GPT-2, or Llama and its relatives):
 * what tlab builds from it and where each of its tensors comes from. {@link HfFolder} reads the
 * weights of every family through this.
 */
public interface HfModel {

    /** The family's name in messages, e.g. "GPT-2" or "Qwen2". */
    String family();

    /** Every tensor, in Hugging Face's order: the family's table of names for this shape. */
    List<HfTensor> tensors();

    /** What {@code save_pretrained} may put before every name, or "" (the reader accepts names with or without it). */
    default String prefix() {
        return "";
    }

    /** Tensors a file may hold that carry nothing tlab needs (buffers, a tied head written out). */
    boolean ignored(String hfName);

    /** The run config in tlab's keys: the {@code model} section and {@code data.tokenizer}. */
    ObjectNode runTree();
}
