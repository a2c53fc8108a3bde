package dev.tlab.dataset;

import dev.tlab.errors.ConfigException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends token ids to {@code <prefix>-00000.bin}, {@code <prefix>-00001.bin}, ... of at most
 * {@code shardTokens} tokens each, little-endian in {@code dtype}. Each shard is fsynced when full,
 * so a finished writer's shards are durable.
 */
public final class ShardWriter implements Closeable {

    private final Path dir;
    private final String prefix;
    private final TokenDtype dtype;
    private final int vocabSize;
    private final long shardTokens;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final List<DatasetMeta.Shard> shards = new ArrayList<>();
    private FileChannel channel; // the open shard, or null until a token arrives
    private long inShard;
    private long total;

    /** @param shardTokens tokens per shard; a shard must stay under 2 GiB, the most one memory map can hold */
    public ShardWriter(Path dir, String prefix, TokenDtype dtype, int vocabSize, long shardTokens) {
        if (shardTokens < 1 || shardTokens * dtype.bytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shard tokens must be in [1, " + Integer.MAX_VALUE / dtype.bytes()
                    + "] for " + dtype.label() + ", got " + shardTokens);
        }
        if (vocabSize > 65536 && dtype == TokenDtype.UINT16) {
            throw new IllegalArgumentException("uint16 cannot hold a vocabulary of " + vocabSize);
        }
        this.dir = dir;
        this.prefix = prefix;
        this.dtype = dtype;
        this.vocabSize = vocabSize;
        this.shardTokens = shardTokens;
    }

    public void write(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new ConfigException("data.tokenizer: produced token id " + token + ", outside its vocabulary [0, "
                    + vocabSize + "); a tokenizer's ids must be below its vocab size");
        }
        try {
            if (channel == null || inShard == shardTokens) {
                nextShard();
            }
            if (buffer.remaining() < dtype.bytes()) {
                drain();
            }
            dtype.put(buffer, token);
            inShard++;
            total++;
        } catch (IOException e) {
            throw failed(e);
        }
    }

    public void write(int[] tokens, int from, int count) {
        for (int i = from; i < from + count; i++) {
            write(tokens[i]);
        }
    }

    /** Tokens written so far. */
    public long tokens() {
        return total;
    }

    /** Flushes and fsyncs the last shard; the shards written, in order (none if no token came). */
    public List<DatasetMeta.Shard> finish() {
        try {
            closeShard();
        } catch (IOException e) {
            throw failed(e);
        }
        return List.copyOf(shards);
    }

    /** Releases the open shard without finishing it (after a failure). */
    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private void nextShard() throws IOException {
        closeShard();
        String name = String.format("%s-%05d.bin", prefix, shards.size());
        channel = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        shards.add(new DatasetMeta.Shard(name, 0, 0));
        inShard = 0;
    }

    private void closeShard() throws IOException {
        if (channel == null) {
            return;
        }
        drain();
        channel.force(true);
        channel.close();
        channel = null;
        DatasetMeta.Shard open = shards.remove(shards.size() - 1);
        shards.add(new DatasetMeta.Shard(open.file(), inShard, inShard * dtype.bytes()));
    }

    private void drain() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    private UncheckedIOException failed(IOException e) {
        return new UncheckedIOException("cannot write shards in " + dir + ": " + e.getMessage(), e);
    }
}
