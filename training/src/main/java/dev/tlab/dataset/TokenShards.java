package dev.tlab.dataset;

import dev.tlab.data.TokenSequence;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.Tokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A prepared directory, checked against its meta.json, whose splits are memory-mapped: a dataset
 * larger than memory trains with only the sampled windows copied to the heap.
 */
public final class TokenShards {

    private final Path dir;
    private final DatasetMeta meta;
    private final TokenSequence train;
    private final TokenSequence val;

    private TokenShards(Path dir, DatasetMeta meta, TokenSequence train, TokenSequence val) {
        this.dir = dir;
        this.meta = meta;
        this.train = train;
        this.val = val;
    }

    /**
     * Opens {@code dir}: every shard meta.json lists must be there with exactly its recorded size,
     * and no other shard file may be; anything else is a named error.
     */
    public static TokenShards open(Path dir) {
        DatasetMeta meta = DatasetMeta.read(dir);
        Path metaFile = dir.resolve(DatasetMeta.FILE);
        if (meta.tokenizer().vocabSize() < 1 || TokenDtype.forVocab(meta.tokenizer().vocabSize()).bytes() > meta.dtype().bytes()) {
            throw new ConfigException(metaFile + ": dtype " + meta.dtype().label() + " cannot hold vocab_size "
                    + meta.tokenizer().vocabSize());
        }
        Set<String> listed = new HashSet<>();
        TokenSequence train = map(dir, meta, meta.train(), "train", listed);
        TokenSequence val = map(dir, meta, meta.val(), "val", listed);
        try (DirectoryStream<Path> bins = Files.newDirectoryStream(dir, "*.bin")) {
            for (Path bin : bins) {
                if (!listed.contains(bin.getFileName().toString())) {
                    throw new ConfigException(bin + ": a shard file meta.json does not list (" + Files.size(bin)
                            + " bytes); the directory holds foreign data: remove the file or prepare again");
                }
            }
        } catch (IOException e) {
            throw new ConfigException(dir + ": cannot list: " + e.getMessage(), e);
        }
        return new TokenShards(dir, meta, train, val);
    }

    private static TokenSequence map(Path dir, DatasetMeta meta, DatasetMeta.Split split, String name, Set<String> listed) {
        List<DatasetMeta.Shard> shards = split.shards();
        ByteBuffer[] buffers = new ByteBuffer[shards.size()];
        long[] tokens = new long[shards.size()];
        long sum = 0;
        for (int i = 0; i < shards.size(); i++) {
            DatasetMeta.Shard shard = shards.get(i);
            // A plain .bin name: meta.json cannot point outside the directory, nor name a shard twice.
            if (!shard.file().matches("[A-Za-z0-9_-][A-Za-z0-9_.-]*\\.bin") || !listed.add(shard.file())) {
                throw new ConfigException(dir.resolve(DatasetMeta.FILE) + ": shard '" + shard.file()
                        + "' is not a distinct .bin file name");
            }
            Path file = dir.resolve(shard.file());
            long expected = shard.tokens() * meta.dtype().bytes();
            if (shard.bytes() != expected || expected > Integer.MAX_VALUE) {
                throw new ConfigException(dir.resolve(DatasetMeta.FILE) + ": shard " + shard.file() + " records "
                        + shard.tokens() + " tokens in " + shard.bytes() + " bytes, which " + meta.dtype().label()
                        + " does not allow");
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long actual = channel.size();
                if (actual != expected) {
                    throw new ConfigException(file + ": " + actual + " bytes, but meta.json records " + expected + " ("
                            + shard.tokens() + " " + meta.dtype().label() + " tokens); the shard is truncated or foreign:"
                            + " prepare again");
                }
                // The mapping outlives the channel; nothing is read until a window is copied.
                buffers[i] = channel.map(FileChannel.MapMode.READ_ONLY, 0, actual).order(ByteOrder.LITTLE_ENDIAN);
            } catch (NoSuchFileException e) {
                throw new ConfigException(file + ": missing; meta.json lists it with " + expected
                        + " bytes: prepare again");
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
            }
            tokens[i] = shard.tokens();
            sum += shard.tokens();
        }
        if (sum != split.tokens()) {
            throw new ConfigException(dir.resolve(DatasetMeta.FILE) + ": the " + name + " split records " + split.tokens()
                    + " tokens but its shards hold " + sum);
        }
        return new MappedTokens(buffers, tokens, meta.dtype());
    }

    public Path dir() {
        return dir;
    }

    public DatasetMeta meta() {
        return meta;
    }

    public TokenSequence train() {
        return train;
    }

    public TokenSequence val() {
        return val;
    }

    /** Each split must hold at least one window of {@code context} inputs plus its next token. */
    public void requireWindow(int context) {
        long shortest = Math.min(train.length(), val.length());
        if (shortest < context + 1L) {
            String which = train.length() < val.length() ? "training" : "validation";
            throw new ConfigException("model.context (" + context + ") is longer than the data: the " + which
                    + " split of " + dir + " has " + shortest + " tokens, and a window needs context + 1 = "
                    + (context + 1) + ". Use a smaller model.context, more data, or another data.val_fraction.");
        }
    }

    /** The shards must hold ids of {@code tokenizer}: another one would read them as different text. */
    public void requireTokenizer(Tokenizer tokenizer) {
        DatasetMeta.TokenizerInfo recorded = meta.tokenizer();
        if (!recorded.fingerprint().equals(tokenizer.fingerprint())) {
            throw new ConfigException("data.tokenizer: " + dir + " was prepared with tokenizer " + recorded.kind()
                    + " (fingerprint " + recorded.fingerprint() + "), not this " + tokenizer.kind() + " (fingerprint "
                    + tokenizer.fingerprint() + "); prepare the data again with this tokenizer");
        }
    }
}
