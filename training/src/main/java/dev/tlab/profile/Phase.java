package dev.tlab.profile;

/** The consecutive parts of a training step; the trainer marks the end of each with a lap. */
public enum Phase {
    /** Batch to device, the model's forward and the loss (split further by the sublayer timer). */
    FORWARD,
    /** {@code collector.backward(loss)}. */
    BACKWARD,
    /** Global gradient norm and clip factor (and reading the loss on log steps). */
    CLIP,
    /** Closing the step's scope (freeing its arrays) and summing micro-batch losses. */
    BOOKKEEPING,
    /** The AdamW update. */
    OPTIMIZER
}
