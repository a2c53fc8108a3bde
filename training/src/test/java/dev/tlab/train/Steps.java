package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.data.BatchSampler;
import dev.tlab.data.BatchSource;
import dev.tlab.models.DecoderLM;

/** Forward and backward of a GPT by hand, for tests that drive a model without a trainer. */
final class Steps {

    private Steps() {}

    /** The loss of step {@code step} over {@code accum} micro-batches, gradients accumulated. */
    static NDArray forwardBackward(
            DecoderLM model, ParameterStore ps, NDManager manager, BatchSource batches, long step, int accum) {
        return TrainingStep.accumulate((s, micro) -> {
            BatchSampler.Batch batch = batches.sample(s, micro);
            Shape shape = new Shape(batch.batchSize(), batch.context());
            NDArray logits = model.forward(ps, manager.create(batch.inputs(), shape), true);
            return LmLoss.crossEntropy(logits, manager.create(batch.targets(), shape));
        }, step, accum, 1, TrainingListener.NONE);
    }
}
