package dev.tlab.checkpoint;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tlab.files.FileDigest;
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
 * @param vocab format 3 and older: the character vocabulary as one string of UTF-16 units (read, never written)
 * @param vocabulary the character tokenizer's code points in id order (null for other tokenizers)
 * @param tokenizer which tokenizer made the ids (format 4; a {@code tokenizer.json} beside this file for bpe and hf)
 * @param config the resolved run config as a tree ({@code RunConfig.tree()}); format 2 stored it as YAML
 *     text, which {@link CheckpointDirectory#readState} turns into the tree
 * @param tlabVersion tlab version that wrote it
 * @param djlVersion DJL version that wrote it
 * @param parent for a fine-tune, the checkpoint it started from (null otherwise)
 * @param threads the CPU threads one operation used ({@code train.threads} as applied), which can change
 *     results in the last bits; 0 when not recorded (written before it was)
 * @param wallSeconds wall time of the run's steps up to this checkpoint, over every session of it
 *     (evaluations and checkpoints included); 0 when not recorded
 * @param files tensor file name to its size and SHA-256
 * @param base for a LoRA run, the frozen base its adapter (the weights file) belongs to; null otherwise
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
        @JsonInclude(JsonInclude.Include.NON_NULL) String vocab,
        int[] vocabulary,
        TokenizerInfo tokenizer,
        JsonNode config,
        String tlabVersion,
        String djlVersion,
        String parent,
        int threads,
        double wallSeconds,
        Map<String, FileDigest> files,
        @JsonInclude(JsonInclude.Include.NON_NULL) BaseModel base) {

    public static final int FORMAT_VERSION = 4;
    /** Format 3, still read: the character vocabulary in {@code vocab}, no {@code tokenizer}. */
    public static final int STRING_VOCABULARY_VERSION = 3;
    /** Format 2, still read: as 3, but {@code config} is a YAML string. */
    public static final int YAML_CONFIG_VERSION = 2;

    /**
     * The tokenizer a checkpoint's ids belong to: its {@code data.tokenizer} kind, its fingerprint
     * (see {@link dev.tlab.tokenize.Tokenizer#fingerprint}) and its size.
     */
    public record TokenizerInfo(String kind, String fingerprint, int vocabSize) {

        public static TokenizerInfo of(dev.tlab.tokenize.Tokenizer tokenizer) {
            return new TokenizerInfo(tokenizer.kind(), tokenizer.fingerprint(), tokenizer.vocabSize());
        }
    }

    /** A format 2 or 3 state read as format 4: each UTF-16 unit of {@code vocab} was one row. */
    public CheckpointState upgraded() {
        if (vocabulary != null || vocab == null) {
            return this;
        }
        int[] rows = vocab.chars().toArray();
        var info = TokenizerInfo.of(new dev.tlab.tokenize.CharTokenizer(rows));
        return new CheckpointState(formatVersion, step, optimizerSteps, tokensSeen, seed, stepSeeds, valLoss,
                bestValLoss, bestValStep, lossScale, lossScaleGoodSteps, null, rows, info, config, tlabVersion, djlVersion,
                parent, threads, wallSeconds, files, base);
    }


    public CheckpointState withConfig(JsonNode tree) {
        return new CheckpointState(formatVersion, step, optimizerSteps, tokensSeen, seed, stepSeeds, valLoss,
                bestValLoss, bestValStep, lossScale, lossScaleGoodSteps, vocab, vocabulary, tokenizer, tree, tlabVersion, djlVersion,
                parent, threads, wallSeconds, files, base);
    }

    public CheckpointState withFiles(Map<String, FileDigest> digests) {
        return new CheckpointState(formatVersion, step, optimizerSteps, tokensSeen, seed, stepSeeds, valLoss,
                bestValLoss, bestValStep, lossScale, lossScaleGoodSteps, vocab, vocabulary, tokenizer, config, tlabVersion, djlVersion,
                parent, threads, wallSeconds, digests, base);
    }
}
