package dev.tlab.train;

import ai.djl.ndarray.NDArray;

/** Mean next-token cross-entropy in nats, as {@code F.cross_entropy(logits.view(-1, V), y)}. */
public final class LmLoss {

    private LmLoss() {}

    /**
     * @param logits {@code [B, T, V]}
     * @param targets {@code [B, T]}, int64
     * @return a scalar
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        NDArray logProbs = logits.logSoftmax(-1);
        return logProbs.gather(targets.expandDims(-1), -1).mean().neg();
    }
}
