package dev.tlab.dataset;

import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link Prepare} turns into shards: a training source, and either a validation source or the
 * fraction of the training tokens held out (their tail, as nanoGPT does).
 *
 * @param val the validation source, or null to hold out {@code valFraction}
 * @param valFraction the held-out tail when {@code val} is null, in (0, 1)
 * @param transform applied to the text before encoding
 * @param output the prepared directory
 * @param shardTokens the most tokens per shard file
 * @param pieceBytes the size long files are read and encoded in; it decides where a long text is cut
 * @param threads encoding threads; the output is the same for any number
 */
public record PrepareRequest(TextSources train, TextSources val, double valFraction, Tokenizer tokenizer,
        TextTransform transform, Path output, long shardTokens, int pieceBytes, int threads) {

    /** About 200 MB of uint16 (400 MB of uint32) per shard, as nanoGPT's shards. */
    public static final long DEFAULT_SHARD_TOKENS = 100_000_000;
    /** Long enough that per-piece costs vanish, small enough that a piece per core in flight stays small. */
    public static final int DEFAULT_PIECE_BYTES = 1 << 20;
    public static final double DEFAULT_VAL_FRACTION = 0.1;

    public PrepareRequest {
        if (val == null && !(valFraction > 0 && valFraction < 1)) {
            throw new ConfigException("data.val_fraction must be in (0, 1), got " + valFraction);
        }
        if (shardTokens < 1) {
            throw new IllegalArgumentException("shard tokens must be positive, got " + shardTokens);
        }
        if (pieceBytes < 64) {
            throw new IllegalArgumentException("piece bytes must be at least 64, got " + pieceBytes);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be positive, got " + threads);
        }
    }

    /** Defaults: the last 10% of the tokens validate, no transform, 100M-token shards, every core. */
    public static PrepareRequest of(TextSources train, Tokenizer tokenizer, Path output) {
        return new PrepareRequest(train, null, DEFAULT_VAL_FRACTION, tokenizer, TextTransform.NONE, output,
                DEFAULT_SHARD_TOKENS, DEFAULT_PIECE_BYTES, Runtime.getRuntime().availableProcessors());
    }

    public PrepareRequest withVal(TextSources source) {
        return new PrepareRequest(train, source, valFraction, tokenizer, transform, output, shardTokens, pieceBytes, threads);
    }

    public PrepareRequest withValFraction(double fraction) {
        return new PrepareRequest(train, null, fraction, tokenizer, transform, output, shardTokens, pieceBytes, threads);
    }

    public PrepareRequest withTransform(TextTransform textTransform) {
        return new PrepareRequest(train, val, valFraction, tokenizer, textTransform, output, shardTokens, pieceBytes, threads);
    }

    public PrepareRequest withShardTokens(long tokens) {
        return new PrepareRequest(train, val, valFraction, tokenizer, transform, output, tokens, pieceBytes, threads);
    }

    public PrepareRequest withPieceBytes(int bytes) {
        return new PrepareRequest(train, val, valFraction, tokenizer, transform, output, shardTokens, bytes, threads);
    }

    public PrepareRequest withThreads(int count) {
        return new PrepareRequest(train, val, valFraction, tokenizer, transform, output, shardTokens, pieceBytes, count);
    }

    public PrepareRequest withTokenizer(Tokenizer other) {
        return new PrepareRequest(train, val, valFraction, other, transform, output, shardTokens, pieceBytes, threads);
    }

    /** The settings meta.json records; with the sources and the tokenizer they decide reuse. */
    public PrepareSettings settings() {
        return new PrepareSettings(train.spec(), train.textField(), val == null ? valFraction : null,
                val == null ? null : val.spec(), transform.name(), tokenizer.documentSeparator(), shardTokens, pieceBytes,
                train.encoding().name());
    }

    /** The source files left out by {@code data.on_bad_file: skip}, training source first. */
    public List<DatasetMeta.SkippedFile> skipped() {
        List<DatasetMeta.SkippedFile> skipped = new ArrayList<>();
        for (TextSources source : val == null ? List.of(train) : List.of(train, val)) {
            source.skipped().forEach(s -> skipped.add(new DatasetMeta.SkippedFile(s.file().toString(), s.reason())));
        }
        return skipped;
    }

    public TokenDtype dtype() {
        return TokenDtype.forVocab(tokenizer.vocabSize());
    }
}
