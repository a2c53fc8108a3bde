package dev.tlab.dataset;

import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.tokenize.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Text sources to token shards, as nanoGPT's prepare.py but streaming: a single reading thread cuts
 * the sources into chunks, every core encodes them, and the results are written in source order,
 * so the shards are the same for any thread count. A bounded number of chunks is in flight
 * (see {@link #chunksInFlight}), which bounds memory whatever the corpus size. Unchanged inputs
 * reuse what is there.
 */
public final class Prepare {

    private final PrepareRequest request;
    private final PrepareListener listener;
    private final long bytesTotal;
    private final long startNanos = System.nanoTime();
    private long bytesDone;
    private long tokensDone;
    private long documentsWritten; // of the source being encoded: every one after the first gets a separator

    private Prepare(PrepareRequest request, PrepareListener listener) {
        this.request = request;
        this.listener = listener;
        this.bytesTotal = request.train().totalBytes() + (request.val() == null ? 0 : request.val().totalBytes());
    }

    /**
     * Prepares {@code request.output()}, or keeps it when it was prepared from the same source
     * files (by size and SHA-256), the same tokenizer fingerprint and the same settings, and its
     * shards still hold what meta.json records (by size and SHA-256). Holds {@code .<output>.lock}
     * meanwhile: a second prepare of the same directory waits for this one, then reuses its shards.
     */
    public static Prepared run(PrepareRequest request, PrepareListener listener) {
        Path output = request.output().toAbsolutePath().normalize();
        try (PrepareLock lock = PrepareLock.acquire(output, listener)) {
            return runLocked(request, listener, output);
        }
    }

    private static Prepared runLocked(PrepareRequest request, PrepareListener listener, Path output) {
        String stale = staleness(request, output);
        if (stale == null) {
            String unchanged = "source files and shards (SHA-256), tokenizer and settings unchanged";
            listener.message("reusing " + output + ": " + unchanged);
            return new Prepared(TokenShards.open(output), true, unchanged);
        }
        refuseForeignDirectory(output);
        listener.message("preparing " + output + ": " + stale);
        Path tmp = null;
        try {
            tmp = DurableFiles.freshTemp(output, ".preparing");
            DatasetMeta meta = new Prepare(request, listener).write(tmp);
            DurableFiles.publish(tmp, output);
            tmp = null;
            listener.message(String.format(Locale.ROOT, "prepared %s: train %s, val %s (%s)",
                    output, describe(meta.train()), describe(meta.val()), meta.dtype().label()));
        } catch (IOException | UncheckedIOException e) {
            throw new ConfigException("cannot write prepared data to " + output + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    DurableFiles.deleteTree(tmp);
                } catch (IOException ignored) {
                    // a later prepare starts from a fresh temporary directory anyway
                }
            }
        }
        return new Prepared(TokenShards.open(output), false, stale);
    }

    private static String describe(DatasetMeta.Split split) {
        int shards = split.shards().size();
        return String.format(Locale.ROOT, "%,d tokens in %d shard%s", split.tokens(), shards, shards == 1 ? "" : "s");
    }

    /** Why {@code output} must be prepared (again), or null if it is current. Sources are hashed only when all else matches. */
    static String staleness(PrepareRequest request, Path output) {
        if (!Files.exists(output.resolve(DatasetMeta.FILE))) {
            return "nothing prepared there yet";
        }
        DatasetMeta before;
        try {
            before = DatasetMeta.read(output);
        } catch (ConfigException e) {
            return "its meta.json is unusable (" + e.getMessage() + ")";
        }
        DatasetMeta.TokenizerInfo now = tokenizerInfo(request.tokenizer());
        if (before.tokenizer().kind().equals(now.kind()) && before.tokenizer().fingerprint().equals(now.fingerprint())
                && before.tokenizer().vocabSize() != now.vocabSize()) {
            return "its meta.json records vocab_size " + before.tokenizer().vocabSize() + " for this very tokenizer (fingerprint "
                    + now.fingerprint() + "), which has " + now.vocabSize() + ": meta.json was edited or damaged";
        }
        if (!before.tokenizer().equals(now)) {
            return "the tokenizer changed (" + before.tokenizer().kind() + " " + before.tokenizer().fingerprint() + " -> "
                    + now.kind() + " " + now.fingerprint() + ")";
        }
        List<String> changes = request.settings().changesFrom(before.settings());
        if (!changes.isEmpty()) {
            return "settings changed (" + String.join(", ", changes) + ")";
        }
        String trainChange = sourceChange(request.train(), before.trainSources());
        if (trainChange != null) {
            return trainChange;
        }
        if (request.val() != null) {
            String valChange = sourceChange(request.val(), before.valSources());
            if (valChange != null) {
                return valChange;
            }
        }
        try {
            TokenShards.open(output);
        } catch (ConfigException e) {
            return "its shards are damaged (" + e.getMessage() + ")";
        }
        return shardChange(output, before);
    }

    /**
     * Why the shards' content is not what meta.json records, or null: a shard overwritten with
     * other tokens of the same length passes every size check, so each is hashed.
     */
    private static String shardChange(Path output, DatasetMeta meta) {
        for (DatasetMeta.Split split : List.of(meta.train(), meta.val())) {
            for (DatasetMeta.Shard shard : split.shards()) {
                if (shard.sha256() == null) {
                    return "its meta.json records no SHA-256 for " + shard.file() + " (prepared by an older tlab)";
                }
                try {
                    if (!DurableFiles.sha256(output.resolve(shard.file())).equals(shard.sha256())) {
                        return "its shards are damaged (" + shard.file() + " does not match the SHA-256 in meta.json)";
                    }
                } catch (IOException e) {
                    return "its shards are damaged (" + shard.file() + ": cannot read: " + e.getMessage() + ")";
                }
            }
        }
        return null;
    }

    /** The shards of {@code split} with the SHA-256 of their final content. */
    private static DatasetMeta.Split hashed(Path dir, DatasetMeta.Split split) throws IOException {
        List<DatasetMeta.Shard> shards = new ArrayList<>();
        for (DatasetMeta.Shard shard : split.shards()) {
            shards.add(shard.withSha256(DurableFiles.sha256(dir.resolve(shard.file()))));
        }
        return DatasetMeta.Split.of(shards);
    }

    private static String sourceChange(TextSources source, List<SourceFile> before) {
        List<String> paths = source.files().stream().map(Path::toString).toList();
        List<String> was = before.stream().map(SourceFile::path).toList();
        if (!paths.equals(was)) {
            List<String> added = new ArrayList<>(paths);
            added.removeAll(was);
            List<String> removed = new ArrayList<>(was);
            removed.removeAll(paths);
            return source.key() + " names other files (added: " + names(added) + "; removed: " + names(removed) + ")";
        }
        for (int i = 0; i < paths.size(); i++) {
            long size = source.files().get(i).toFile().length();
            if (size != before.get(i).bytes()) {
                return source.key() + ": " + paths.get(i) + " changed (" + before.get(i).bytes() + " -> " + size + " bytes)";
            }
        }
        List<SourceFile> now = source.hash();
        for (int i = 0; i < now.size(); i++) {
            if (!now.get(i).equals(before.get(i))) {
                return source.key() + ": " + paths.get(i) + " changed (SHA-256 differs)";
            }
        }
        return null;
    }

    private static String names(List<String> paths) {
        if (paths.isEmpty()) {
            return "none";
        }
        return paths.size() <= 3 ? String.join(", ", paths) : String.join(", ", paths.subList(0, 3)) + " and " + (paths.size() - 3) + " more";
    }

    /** A directory without meta.json holding files is someone else's: replacing it would delete them. */
    private static void refuseForeignDirectory(Path output) {
        if (Files.isDirectory(output) && !Files.exists(output.resolve(DatasetMeta.FILE))) {
            try (var entries = Files.list(output)) {
                if (entries.findAny().isPresent()) {
                    throw new ConfigException(output + ": exists, holds files and no meta.json; prepared data goes to a new"
                            + " or empty directory, or one prepared before");
                }
            } catch (IOException e) {
                throw new ConfigException(output + ": cannot list: " + e.getMessage(), e);
            }
        } else if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new ConfigException(output + ": exists and is not a directory; prepared data goes to a directory");
        }
    }

    static DatasetMeta.TokenizerInfo tokenizerInfo(Tokenizer tokenizer) {
        return new DatasetMeta.TokenizerInfo(tokenizer.kind(), tokenizer.fingerprint(), tokenizer.vocabSize());
    }

    /** Writes shards, the tokenizer and meta.json (last) into {@code dir}. */
    private DatasetMeta write(Path dir) throws IOException {
        Tokenizer tokenizer = request.tokenizer();
        TokenDtype dtype = request.dtype();
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(request.threads(), task -> {
            Thread thread = new Thread(task, "tlab-prepare-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<SourceFile> trainFiles;
            List<DatasetMeta.Shard> trainShards;
            long trainTokens;
            try (ShardWriter writer = new ShardWriter(dir, "train", dtype, tokenizer.vocabSize(), request.shardTokens())) {
                trainFiles = encode(request.train(), writer, pool);
                trainShards = writer.finish();
                trainTokens = writer.tokens();
            }
            DatasetMeta.Split train;
            DatasetMeta.Split val;
            List<SourceFile> valFiles = List.of();
            if (request.val() == null) {
                // nanoGPT's split: the tail of the token stream validates.
                long at = Math.round(trainTokens * (1 - request.valFraction()));
                DatasetMeta.Split[] parts = TailSplit.at(dir, trainShards, at, dtype);
                train = parts[0];
                val = parts[1];
            } else {
                train = DatasetMeta.Split.of(trainShards);
                try (ShardWriter writer = new ShardWriter(dir, "val", dtype, tokenizer.vocabSize(), request.shardTokens())) {
                    valFiles = encode(request.val(), writer, pool);
                    val = DatasetMeta.Split.of(writer.finish());
                }
            }
            tokenizer.save(dir);
            DatasetMeta meta = new DatasetMeta(DatasetMeta.VERSION, tokenizerInfo(tokenizer), dtype, request.settings(),
                    hashed(dir, train), hashed(dir, val), trainFiles, valFiles, request.skipped());
            DurableFiles.writeSynced(dir.resolve(DatasetMeta.FILE),
                    out -> out.write(meta.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return meta;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A chunk's tokens, and where in them each document that starts in the chunk begins. */
    private record Encoded(int[] tokens, int[] documentStarts, long sourceBytes) {}

    /** Encodes {@code source} on {@code pool} and writes it, in order, to {@code writer}; returns the files as read. */
    private List<SourceFile> encode(TextSources source, ShardWriter writer, ExecutorService pool) {
        Deque<Future<Encoded>> pending = new ArrayDeque<>();
        int inFlight = chunksInFlight(request.threads(), request.pieceBytes(), Runtime.getRuntime().maxMemory());
        documentsWritten = 0;
        List<SourceFile> files;
        RuntimeException[] writeError = {null};
        try {
            files = source.read(request.pieceBytes(), chunk -> {
                pending.add(pool.submit(() -> encodeChunk(chunk)));
                if (pending.size() >= inFlight) {
                    try {
                        writeNext(pending, writer);
                    } catch (RuntimeException e) {
                        writeError[0] = e;
                        throw e;
                    }
                }
            });
        } catch (RuntimeException e) {
            if (e != writeError[0]) {
                // A reading error: an encoding error earlier in the source is the one to report.
                while (!pending.isEmpty()) {
                    writeNext(pending, writer);
                }
            }
            throw e;
        }
        while (!pending.isEmpty()) {
            writeNext(pending, writer);
        }
        if (writer.tokens() == 0) {
            throw new ConfigException(source.key() + ": " + source.spec() + " holds no text to encode");
        }
        return files;
    }

    /**
     * Two chunks per thread keep every core busy while the oldest is written, but no more than a
     * quarter of the heap may be in flight: a chunk of {@code pieceBytes} costs about 16 times that
     * while encoded (bytes, UTF-16 text, int tokens at up to one per byte, their concatenation).
     */
    static int chunksInFlight(int threads, int pieceBytes, long maxHeapBytes) {
        long fit = maxHeapBytes / 4 / (16L * pieceBytes);
        return (int) Math.max(1, Math.min(2L * threads, fit));
    }

    private Encoded encodeChunk(TextChunk chunk) {
        List<TextChunk.Piece> pieces = chunk.pieces();
        int[][] parts = new int[pieces.size()][];
        int total = 0;
        int documents = 0;
        for (int i = 0; i < parts.length; i++) {
            parts[i] = request.tokenizer().encode(request.transform().apply().apply(pieces.get(i).text()));
            total += parts[i].length;
            documents += pieces.get(i).startsDocument() ? 1 : 0;
        }
        int[] tokens = new int[total];
        int[] starts = new int[documents];
        int at = 0;
        int document = 0;
        for (int i = 0; i < parts.length; i++) {
            if (pieces.get(i).startsDocument()) {
                starts[document++] = at;
            }
            System.arraycopy(parts[i], 0, tokens, at, parts[i].length);
            at += parts[i].length;
        }
        return new Encoded(tokens, starts, chunk.sourceBytes());
    }

    private void writeNext(Deque<Future<Encoded>> pending, ShardWriter writer) {
        stopIfInterrupted();
        Encoded encoded = await(pending.removeFirst());
        long before = writer.tokens();
        int separator = request.tokenizer().documentSeparator();
        int from = 0;
        for (int start : encoded.documentStarts()) {
            writer.write(encoded.tokens(), from, start - from);
            from = start;
            if (documentsWritten++ > 0 && separator >= 0) {
                writer.write(separator);
            }
        }
        writer.write(encoded.tokens(), from, encoded.tokens().length - from);
        bytesDone += encoded.sourceBytes();
        tokensDone += writer.tokens() - before;
        listener.progress(new PrepareProgress(bytesDone, bytesTotal, tokensDone, (System.nanoTime() - startNanos) / 1e9));
    }

    /** An interrupt (a signal the command turned into one) stops the prepare between chunks; nothing is published. */
    static void stopIfInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("prepare interrupted");
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("prepare interrupted", e);
        }
    }
}
