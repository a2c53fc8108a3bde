package dev.tlab.data;

/** Where the trainer's batches come from: micro-batch {@code micro} of step {@code step}. */
@FunctionalInterface
public interface BatchSource {
    BatchSampler.Batch sample(long step, int micro);
}
