package dev.tlab.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.models.TokenModel;
import java.util.Map;

/**
 * What the trainer trains: a model, its data and its loss. The trainer owns the loop (scopes,
 * accumulation, clipping, schedule, checkpoints); a task only says what one batch costs.
 */
public interface Task {

    TokenModel model();

    /** Mean loss of training micro-batch (step, micro), recorded for backward. */
    NDArray trainLoss(ParameterStore ps, NDManager manager, long step, int micro);

    /** Mean loss of fixed validation batch {@code index}, not recorded. */
    NDArray valLoss(ParameterStore ps, NDManager manager, int index);

    /** The metric key of bits per byte of validation text. */
    String VAL_BPB = "val_bpb";

    /**
     * Extra figures reported at each evaluation, such as exact-match accuracy or bits per byte.
     *
     * @param valLoss this evaluation's mean validation loss
     */
    default Map<String, Double> evalMetrics(ParameterStore ps, NDManager manager, double valLoss) {
        return Map.of();
    }

    /** Tokens one micro-batch feeds the model, for throughput. */
    long tokensPerMicroBatch();

    /** The tokenizer its ids come from, stored in checkpoints. */
    dev.tlab.tokenize.Tokenizer tokenizer();

    /** A line for the start-up log: the data and its size. */
    String describe();

    /** Text for {@code samples.txt}; empty when the task has nothing to show. */
    String samples(ParameterStore ps, NDManager manager, long seed);
}
