package dev.tlab.checkpoint;

/**
 * What {@code state.json} holds besides the tensors.
 *
 * @param formatVersion bumped whenever the layout changes incompatibly
 * @param step optimizer steps completed
 * @param tokensSeen training tokens consumed
 * @param seed the run's seed, from which every batch is derived
 * @param bestValLoss lowest validation loss so far (NaN if none)
 * @param vocab the character tokenizer's vocabulary, in id order
 * @param config the resolved run config, as YAML
 * @param djlVersion library version that wrote it
 */
public record CheckpointState(
        int formatVersion,
        long step,
        long tokensSeen,
        long seed,
        double bestValLoss,
        String vocab,
        String config,
        String djlVersion) {

    public static final int FORMAT_VERSION = 1;
}
