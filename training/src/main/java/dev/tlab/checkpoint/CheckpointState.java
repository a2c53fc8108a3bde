package dev.tlab.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What {@code state.json} holds besides the tensors: everything a run needs to continue exactly
 * as if it had never stopped. Batches are a pure function of {@code (seed, step, micro)} and the
 * dropout generator is reseeded from {@code (seed, step)} at the start of every step, so the step
 * and the seed are the whole of the random state.
 *
 * <p>{@code files} is the manifest of the tensor files (size and SHA-256). {@code state.json} is
 * written last, so a checkpoint is complete exactly when its state parses and every file matches
 * its manifest entry.
 *
 * @param formatVersion bumped whenever the layout changes incompatibly
 * @param step optimizer steps completed in this run
 * @param optimizerSteps AdamW's own step count (bias correction); differs from {@code step} after
 *     a fine-tune that kept the parent's optimizer state
 * @param tokensSeen training tokens consumed in this run
 * @param seed the run's seed, from which every batch and dropout mask is derived
 * @param stepSeeds how per-step seeds are derived, for readers of the file
 * @param valLoss the latest validation loss at or before {@code step} (NaN if none)
 * @param bestValLoss lowest validation loss so far (NaN if none)
 * @param bestValStep the step of {@code bestValLoss} (0 if none)
 * @param lossScale fp16 dynamic loss scale (0 when training in fp32)
 * @param lossScaleGoodSteps fp16 steps since the loss scale last changed
 * @param vocab the character tokenizer's vocabulary, in id order
 * @param config the resolved run config as a tree ({@code RunConfig.tree()}); format 2 stored it as YAML
 *     text, which {@link CheckpointDirectory#readState} turns into the tree
 * @param tlabVersion tlab version that wrote it
 * @param djlVersion DJL version that wrote it
 * @param parent for a fine-tune, the checkpoint it started from (null otherwise)
 * @param files tensor file name to its size and SHA-256
 */
public record CheckpointState(
        int formatVersion,
        long step,
        long optimizerSteps,
        long tokensSeen,
        long seed,
        String stepSeeds,
        double valLoss,
        double bestValLoss,
        long bestValStep,
        double lossScale,
        int lossScaleGoodSteps,
        String vocab,
        JsonNode config,
        String tlabVersion,
        String djlVersion,
        String parent,
        Map<String, FileDigest> files) {

    public static final int FORMAT_VERSION = 3;
    /** The format before this one, still read: the same but for {@code config}, a YAML string. */
    public static final int YAML_CONFIG_VERSION = 2;

    /** Size and SHA-256 (lowercase hex) of one file. */
    public record FileDigest(long bytes, String sha256) {}

    public CheckpointState withConfig(JsonNode tree) {
        return new CheckpointState(formatVersion, step, optimizerSteps, tokensSeen, seed, stepSeeds, valLoss,
                bestValLoss, bestValStep, lossScale, lossScaleGoodSteps, vocab, tree, tlabVersion, djlVersion, parent, files);
    }

    public CheckpointState withFiles(Map<String, FileDigest> digests) {
        return new CheckpointState(formatVersion, step, optimizerSteps, tokensSeen, seed, stepSeeds, valLoss,
                bestValLoss, bestValStep, lossScale, lossScaleGoodSteps, vocab, config, tlabVersion, djlVersion, parent, digests);
    }
}
