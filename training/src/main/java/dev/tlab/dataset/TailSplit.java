package dev.tlab.dataset;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits written {@code train-*} shards at a token: the shards after it become {@code val-*} by
 * renaming, and the one shard the split falls inside has its tail copied out and is truncated. So a
 * held-out tail costs at most one shard of copying, and needs no second pass over the source.
 */
final class TailSplit {

    private TailSplit() {}

    /** The train split (tokens before {@code at}) and the val split (the rest). */
    static DatasetMeta.Split[] at(Path dir, List<DatasetMeta.Shard> shards, long at, TokenDtype dtype) throws IOException {
        List<DatasetMeta.Shard> head = new ArrayList<>();
        List<DatasetMeta.Shard> tail = new ArrayList<>();
        long start = 0;
        for (DatasetMeta.Shard shard : shards) {
            long end = start + shard.tokens();
            String valName = String.format("val-%05d.bin", tail.size());
            if (end <= at) {
                head.add(shard);
            } else if (start >= at) {
                Files.move(dir.resolve(shard.file()), dir.resolve(valName));
                tail.add(new DatasetMeta.Shard(valName, shard.tokens(), shard.bytes()));
            } else {
                long keep = at - start;
                long keepBytes = keep * dtype.bytes();
                try (FileChannel in = FileChannel.open(dir.resolve(shard.file()), StandardOpenOption.READ, StandardOpenOption.WRITE);
                        FileChannel out = FileChannel.open(dir.resolve(valName), StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.WRITE)) {
                    for (long done = 0; done < shard.bytes() - keepBytes; ) {
                        done += in.transferTo(keepBytes + done, shard.bytes() - keepBytes - done, out);
                    }
                    out.force(true);
                    in.truncate(keepBytes);
                    in.force(true);
                }
                head.add(new DatasetMeta.Shard(shard.file(), keep, keepBytes));
                tail.add(new DatasetMeta.Shard(valName, shard.tokens() - keep, shard.bytes() - keepBytes));
            }
            start = end;
        }
        return new DatasetMeta.Split[] {DatasetMeta.Split.of(head), DatasetMeta.Split.of(tail)};
    }
}
