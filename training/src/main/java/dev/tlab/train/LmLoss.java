package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import dev.tlab.layers.Precision;

/** Cross-entropy in nats over the last axis, as {@code F.cross_entropy(logits.view(-1, V), y)}. */
public final class LmLoss {

    private LmLoss() {}

    /**
     * Mean over every position.
     *
     * @param logits {@code [B, T, V]}
     * @param targets {@code [B, T]}, int64
     * @return a scalar
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        return targetLogProbs(logits, targets).mean().neg();
    }

    /**
     * Weighted mean: positions with weight 0 (padding, unmasked tokens) carry no loss.
     *
     * @param weights {@code [B, T]}, float32
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets, NDArray weights) {
        NDArray picked = targetLogProbs(logits, targets).squeeze(-1);
        return picked.mul(weights).sum().div(weights.sum()).neg();
    }

    private static NDArray targetLogProbs(NDArray logits, NDArray targets) {
        // Softmax and loss in float32 whatever the activations' type, as torch.autocast does.
        return Precision.widen(logits).logSoftmax(-1).gather(targets.expandDims(-1), -1);
    }
}
