package dev.tlab.dataset;

import dev.tlab.config.DataConfig;
import dev.tlab.tokenize.BpeTrainer;
import dev.tlab.tokenize.ByteLevelBpe;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A run's data for the BPE tokenizers ({@code data.tokenizer} gpt2, bpe or hf): the tokenizer, then
 * the token shards prepared from {@code data.path} (or reused when nothing that decides them has
 * changed). What {@code tlab prepare} runs, and {@code train} on first use.
 */
public final class DataPreparation {

    /** Tokens decoded at a time when counting the validation text's bytes. */
    private static final int DECODE_CHUNK = 1 << 20;

    /**
     * @param tokenizer the tokenizer the shards were made with
     * @param shards the prepared shards, verified against their meta.json
     * @param valBytes UTF-8 bytes of the text the validation tokens stand for (for bits per byte)
     * @param reused whether shards prepared before were reused
     * @param note what was done, for the console
     */
    public record Result(Tokenizer tokenizer, TokenShards shards, long valBytes, boolean reused, String note) {}

    private DataPreparation() {}

    /**
     * @param base the tokenizer of the checkpoint a run continues from (its ids must be kept), or null
     * @param listener hears progress of BPE training and of tokenization
     */
    public static Result prepare(DataConfig data, Tokenizer base, PrepareListener listener) {
        TextSources train = TextSources.resolve("data.path", data.path().toString(), Path.of(""), data.textField(),
                data.encoding(), data.onBadFile());
        TextSources val = data.valPath() == null ? null : TextSources.resolve("data.val_path", data.valPath().toString(),
                Path.of(""), data.textField(), data.encoding(), data.onBadFile());
        for (TextSources source : val == null ? List.of(train) : List.of(train, val)) {
            if (!source.skipped().isEmpty()) {
                listener.message(skippedNote(source));
            }
        }
        TextTransform transform = data.newlines() == DataConfig.Newlines.LF ? TextTransform.LF : TextTransform.NONE;
        Path output = outputDir(data);
        Tokenizer tokenizer = base != null ? Tokenizers.requireKind(base, data.tokenizer()) : tokenizer(data, train, transform, output, listener);
        PrepareRequest request = PrepareRequest.of(train, tokenizer, output).withTransform(transform);
        request = val != null ? request.withVal(val) : request.withValFraction(data.valFraction());
        Prepared prepared = Prepare.run(request, listener);
        TokenShards shards = prepared.shards();
        shards.requireTokenizer(tokenizer);
        return new Result(tokenizer, shards, utf8Bytes(tokenizer, shards.val()), prepared.reused(), prepared.reason());
    }

    /** One line listing the files {@code data.on_bad_file: skip} left out of {@code source}. */
    public static String skippedNote(TextSources source) {
        return source.key() + ": skipped " + source.skipped().size() + (source.skipped().size() == 1 ? " file" : " files")
                + " (data.on_bad_file: skip): " + source.skipped().stream().map(Object::toString)
                        .collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * Where a run's shards go: {@code data.cache}, else beside the source, named after it, the
     * tokenizer and what sets it apart ({@code input.txt.bpe-4096}), so runs with other tokenizers
     * never share shards.
     */
    public static Path outputDir(DataConfig data) {
        String source = data.path().toString();
        int glob = indexOfGlob(source);
        Path concrete = glob < 0 ? data.path() : Path.of(source.substring(0, source.lastIndexOf('/', glob) + 1));
        String name = (glob < 0 ? concrete.getFileName().toString() : "glob-" + Integer.toHexString(source.hashCode()))
                + "." + data.tokenizer() + switch (data.tokenizer()) {
                    case "bpe" -> "-" + data.vocabSize();
                    case "hf" -> "-" + Integer.toHexString(data.tokenizerFile().toString().hashCode());
                    default -> "";
                };
        Path root = data.cache() != null ? data.cache() : glob < 0 ? concrete.toAbsolutePath().getParent() : concrete;
        return root.resolve(name);
    }

    private static int indexOfGlob(String spec) {
        for (int i = 0; i < spec.length(); i++) {
            if ("*?[{".indexOf(spec.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static Tokenizer tokenizer(DataConfig data, TextSources train, TextTransform transform, Path output,
            PrepareListener listener) {
        return switch (data.tokenizer()) {
            case "gpt2" -> Gpt2Tokenizer.get();
            case "hf" -> Tokenizers.huggingFace(data.tokenizerFile());
            case "bpe" -> trainedBpe(data, train, transform, output, listener);
            default -> throw new IllegalArgumentException("not a BPE tokenizer: " + data.tokenizer());
        };
    }

    /**
     * The BPE prepared with these very sources and settings before, if its shards are still
     * current; otherwise one trained now on the training source (the validation text never).
     */
    private static Tokenizer trainedBpe(DataConfig data, TextSources train, TextTransform transform, Path output,
            PrepareListener listener) {
        Path saved = output.resolve(Tokenizer.FILE);
        if (Files.isRegularFile(saved) && Files.isRegularFile(output.resolve(DatasetMeta.FILE))) {
            DatasetMeta meta = DatasetMeta.read(output);
            ByteLevelBpe previous = Tokenizers.named(output.toString(), () -> ByteLevelBpe.load(saved));
            if (previous.vocabSize() == data.vocabSize() && meta.tokenizer().fingerprint().equals(previous.fingerprint())
                    && meta.trainSources().equals(train.hash()) && transform.name().equals(meta.settings().transform())) {
                return previous;
            }
        }
        BpeTrainer trainer = new BpeTrainer(data.vocabSize());
        long total = train.totalBytes();
        long[] done = {0};
        long start = System.nanoTime();
        listener.message(String.format(Locale.ROOT, "training a byte-level BPE of %,d tokens on %s (%,.1f MB)",
                data.vocabSize(), train.spec(), total / 1e6));
        train.read(PrepareRequest.DEFAULT_PIECE_BYTES, chunk -> {
            Prepare.stopIfInterrupted();
            for (TextChunk.Piece piece : chunk.pieces()) {
                trainer.add(transform.apply().apply(piece.text()));
            }
            done[0] += chunk.sourceBytes();
            listener.progress(new PrepareProgress(PrepareProgress.TRAIN_BPE, done[0], total, 0, (System.nanoTime() - start) / 1e9));
        });
        ByteLevelBpe trained = Tokenizers.named("data.vocab_size", trainer::train);
        listener.message(String.format(Locale.ROOT, "BPE trained in %.1f s", (System.nanoTime() - start) / 1e9));
        return trained;
    }

    /** The UTF-8 bytes of the text behind {@code tokens}, decoded in chunks. */
    private static long utf8Bytes(Tokenizer tokenizer, dev.tlab.data.TokenSequence tokens) {
        long bytes = 0;
        int[] chunk = new int[DECODE_CHUNK];
        for (long start = 0; start < tokens.length(); start += DECODE_CHUNK) {
            int count = (int) Math.min(DECODE_CHUNK, tokens.length() - start);
            tokens.copy(start, chunk, 0, count);
            // A character cut at a chunk's edge counts as replacement characters: a few bytes per million tokens.
            bytes += tokenizer.decode(count == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, count))
                    .getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }
}
