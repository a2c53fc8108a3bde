package dev.tlab.dataset;

import dev.tlab.data.TokenSequence;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A split's shards as one sequence, read straight from their memory maps: only the windows asked
 * for reach the heap. A window may run across a shard boundary.
 */
final class MappedTokens implements TokenSequence {

    private final ByteBuffer[] shards;
    private final long[] starts; // starts[i]: position of shard i's first token; starts[n]: the length
    private final TokenDtype dtype;

    MappedTokens(ByteBuffer[] shards, long[] tokensPerShard, TokenDtype dtype) {
        this.shards = shards;
        this.dtype = dtype;
        this.starts = new long[shards.length + 1];
        for (int i = 0; i < shards.length; i++) {
            starts[i + 1] = starts[i] + tokensPerShard[i];
        }
    }

    @Override
    public long length() {
        return starts[shards.length];
    }

    @Override
    public void copy(long start, int[] out, int offset, int count) {
        if (start < 0 || count < 0 || start + count > length()) {
            throw new IndexOutOfBoundsException("tokens [" + start + ", " + (start + count) + ") of " + length());
        }
        int shard = shardOf(start);
        long position = start;
        int done = 0;
        while (done < count) {
            while (position >= starts[shard + 1]) {
                shard++; // skip to the shard holding position
            }
            ByteBuffer buffer = shards[shard];
            int from = (int) (position - starts[shard]);
            int n = (int) Math.min(count - done, starts[shard + 1] - position);
            for (int i = 0; i < n; i++) {
                out[offset + done + i] = dtype.get(buffer, from + i);
            }
            done += n;
            position += n;
        }
    }

    /** The shard holding {@code position}. */
    private int shardOf(long position) {
        int found = Arrays.binarySearch(starts, 0, shards.length, position);
        return found >= 0 ? found : -found - 2;
    }
}
