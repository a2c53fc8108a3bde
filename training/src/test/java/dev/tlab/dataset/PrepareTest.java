package dev.tlab.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.data.BatchSampler;
import dev.tlab.data.TokenSequence;
import dev.tlab.errors.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareTest {

    @TempDir Path dir;

    private final ByteTokenizer bytes = new ByteTokenizer();

    static int[] all(TokenSequence sequence) {
        int[] out = new int[Math.toIntExact(sequence.length())];
        sequence.copy(0, out, 0, out.length);
        return out;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Lines of words, some non-ASCII, some indented: text whose pieces must still join up exactly. */
    static String text(long seed, int lines) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] words = {"the", "cat", "säß", "on", "a", "mat", "日本語", "🙂", "and", "then", "left"};
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < lines; line++) {
            text.append(random.nextInt(5) == 0 ? "    " : "");
            for (int w = random.nextInt(1, 15); w > 0; w--) {
                text.append(words[random.nextInt(words.length)]).append(w > 1 ? " " : "");
            }
            text.append(random.nextInt(7) == 0 ? "\n\n" : "\n");
        }
        return text.toString();
    }

    private PrepareRequest request(TextSources train, Path output) {
        return PrepareRequest.of(train, bytes, output).withShardTokens(50).withPieceBytes(64).withThreads(3);
    }

    private TextSources source(Path path) {
        return TextSources.resolve("data.path", path.toString(), dir, "text");
    }

    @Test
    void aTextFileReadsBackAsItsTokensAcrossTinyShards() throws Exception {
        String text = text(1, 40);
        Files.writeString(dir.resolve("corpus.txt"), text);
        Prepared prepared = Prepare.run(request(source(dir.resolve("corpus.txt")), dir.resolve("out")).withValFraction(0.25),
                PrepareListener.SILENT);
        TokenShards shards = prepared.shards();
        int[] expected = bytes.encode(text);
        assertArrayEquals(expected, concat(all(shards.train()), all(shards.val())), "a single file is one document");
        assertEquals(Math.round(expected.length * 0.75), shards.train().length(), "the last quarter validates");
        assertTrue(shards.meta().train().shards().size() > 10, "shards of 50 tokens");
        assertTrue(shards.meta().train().shards().stream().allMatch(s -> s.tokens() <= 50));
        assertEquals(TokenDtype.UINT16, shards.meta().dtype());
        assertFalse(prepared.reused());
        assertTrue(Files.exists(dir.resolve("out/" + ByteTokenizer.FILE)), "the tokenizer is saved beside its shards");
    }

    @Test
    void aDirectoryIsOneDocumentPerFileInSortedOrderWithSeparators() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus/sub"));
        Files.writeString(dir.resolve("corpus/b.txt"), "second file\n");
        Files.writeString(dir.resolve("corpus/a.txt"), "first file\n");
        Files.writeString(dir.resolve("corpus/sub/c.txt"), "third, ünïcode\n" + text(2, 10));
        Files.writeString(dir.resolve("corpus/.hidden"), "never read");
        Files.createDirectories(dir.resolve("corpus/.git"));
        Files.writeString(dir.resolve("corpus/.git/HEAD"), "never read");
        TextSources source = source(dir.resolve("corpus"));
        assertEquals(List.of("a.txt", "b.txt", "sub/c.txt"),
                source.files().stream().map(f -> dir.resolve("corpus").relativize(f).toString()).toList());
        TokenShards shards = Prepare.run(request(source, dir.resolve("out")), PrepareListener.SILENT).shards();
        int[] expected = bytes.join("first file\n", "second file\n", Files.readString(corpus.resolve("c.txt")));
        assertArrayEquals(expected, concat(all(shards.train()), all(shards.val())));
        assertEquals(3, shards.meta().trainSources().size());
    }

    @Test
    void jsonLinesAreOneDocumentPerLineFromTheTextField() throws Exception {
        List<String> documents = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            String doc = "doc " + i + " says \"hi\"\nover two lines ✓";
            documents.add(doc);
            jsonl.append("{\"id\": ").append(i).append(", \"text\": \"").append(doc.replace("\"", "\\\"").replace("\n", "\\n"))
                    .append("\"}").append(i % 3 == 0 ? "\r\n" : "\n").append(i == 10 ? "\n" : "");
        }
        Files.writeString(dir.resolve("docs.jsonl"), jsonl);
        TokenShards shards = Prepare.run(request(source(dir.resolve("docs.jsonl")), dir.resolve("out")),
                PrepareListener.SILENT).shards();
        assertArrayEquals(bytes.join(documents.toArray(String[]::new)), concat(all(shards.train()), all(shards.val())),
                "blank lines are skipped, CRLF line ends are allowed");
        assertEquals("text", shards.meta().settings().textField());
    }

    @Test
    void aValidationSourceFillsTheValSplit() throws Exception {
        Files.writeString(dir.resolve("train.txt"), text(3, 20));
        Files.writeString(dir.resolve("val.txt"), text(4, 5));
        TokenShards shards = Prepare.run(request(source(dir.resolve("train.txt")), dir.resolve("out"))
                .withVal(TextSources.resolve("data.val_path", "val.txt", dir, null)), PrepareListener.SILENT).shards();
        assertArrayEquals(bytes.encode(text(3, 20)), all(shards.train()));
        assertArrayEquals(bytes.encode(text(4, 5)), all(shards.val()));
        assertEquals(null, shards.meta().settings().valFraction());
        assertEquals("val.txt", shards.meta().settings().valPath());
        assertTrue(shards.meta().val().shards().get(0).file().startsWith("val-"));
    }

    @Test
    void windowsCrossShardBoundariesAndSampleAsFromAnArray() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), text(5, 30));
        TokenShards shards = Prepare.run(request(source(dir.resolve("corpus.txt")), dir.resolve("out")).withShardTokens(7),
                PrepareListener.SILENT).shards();
        int[] train = Arrays.copyOf(bytes.encode(text(5, 30)), Math.toIntExact(shards.train().length()));
        for (int start = 0; start + 20 <= train.length; start++) {
            int[] window = new int[22];
            shards.train().copy(start, window, 1, 20);
            assertArrayEquals(Arrays.copyOfRange(train, start, start + 20), Arrays.copyOfRange(window, 1, 21));
        }
        BatchSampler fromShards = new BatchSampler(shards.train(), 4, 16, 7);
        BatchSampler fromArray = new BatchSampler(train, 4, 16, 7);
        for (long step = 0; step < 10; step++) {
            assertArrayEquals(fromArray.sample(step, 0).inputs(), fromShards.sample(step, 0).inputs());
            assertArrayEquals(fromArray.sample(step, 0).targets(), fromShards.sample(step, 0).targets());
        }
    }

    @Test
    void parallelOutputIsByteIdenticalToSingleThreaded() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        for (int f = 0; f < 6; f++) {
            Files.writeString(corpus.resolve("part" + f + ".txt"), text(10 + f, 200 * (f + 1)));
        }
        Path one = dir.resolve("one");
        Path four = dir.resolve("four");
        Prepare.run(request(source(corpus), one).withShardTokens(10_000).withPieceBytes(300).withThreads(1), PrepareListener.SILENT);
        Prepare.run(request(source(corpus), four).withShardTokens(10_000).withPieceBytes(300).withThreads(4), PrepareListener.SILENT);
        List<String> names;
        try (Stream<Path> files = Files.list(one)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> files = Files.list(four)) {
            assertEquals(names, files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(names.size() > 4, "several shards: " + names);
        for (String name : names) {
            assertArrayEquals(Files.readAllBytes(one.resolve(name)), Files.readAllBytes(four.resolve(name)), name);
        }
    }

    @Test
    void theDtypeIsUint16UpTo65536TokensAndUint32Beyond() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "alpha\n");
        Files.writeString(dir.resolve("b.txt"), "beta\n");
        Path both = dir.resolve("both");
        Files.createDirectories(both);
        Files.copy(dir.resolve("a.txt"), both.resolve("a.txt"));
        Files.copy(dir.resolve("b.txt"), both.resolve("b.txt"));
        ByteTokenizer wide = new ByteTokenizer(70_000, 69_999, "");
        ByteTokenizer edge = new ByteTokenizer(65_536, 65_535, "");
        for (ByteTokenizer tokenizer : List.of(bytes, edge, wide)) {
            Path out = dir.resolve("out" + tokenizer.vocabSize());
            TokenShards shards = Prepare.run(request(source(both), out).withTokenizer(tokenizer),
                    PrepareListener.SILENT).shards();
            TokenDtype dtype = tokenizer.vocabSize() <= 65536 ? TokenDtype.UINT16 : TokenDtype.UINT32;
            assertEquals(dtype, shards.meta().dtype());
            int[] expected = tokenizer.join("alpha\n", "beta\n");
            assertArrayEquals(expected, concat(all(shards.train()), all(shards.val())));
            long fileBytes = 0;
            for (DatasetMeta.Shard shard : shards.meta().train().shards()) {
                fileBytes += Files.size(out.resolve(shard.file()));
            }
            assertEquals(shards.train().length() * dtype.bytes(), fileBytes);
        }
        // Little-endian: the separator 69,999 = 0x1116F is stored as 6F 11 01 00.
        byte[] shard = Files.readAllBytes(dir.resolve("out70000/train-00000.bin"));
        int at = 6 * 4;
        assertArrayEquals(new byte[] {0x6F, 0x11, 0x01, 0x00}, Arrays.copyOfRange(shard, at, at + 4));
    }

    @Test
    void unchangedInputsAreReusedAndAnyChangePreparesAgain() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Path a = corpus.resolve("a.txt");
        Files.writeString(a, "the same size\n");
        Files.writeString(corpus.resolve("b.txt"), text(6, 10));
        Path out = dir.resolve("out");
        PrepareRequest request = request(source(corpus), out);
        List<String> messages = new ArrayList<>();
        PrepareListener listener = new PrepareListener() {
            @Override
            public void progress(PrepareProgress progress) {}

            @Override
            public void message(String text) {
                messages.add(text);
            }
        };
        assertFalse(Prepare.run(request, listener).reused());
        Prepared again = Prepare.run(request, listener);
        assertTrue(again.reused(), again.reason());
        assertTrue(messages.get(messages.size() - 1).startsWith("reusing " + out), messages.toString());

        // Same size, same modification time, other bytes: only the SHA-256 tells.
        FileTime modified = Files.getLastModifiedTime(a);
        Files.writeString(a, "the SAME size\n");
        Files.setLastModifiedTime(a, modified);
        Prepared changed = Prepare.run(request, listener);
        assertFalse(changed.reused());
        assertTrue(changed.reason().contains(a + " changed (SHA-256 differs)"), changed.reason());
        assertArrayEquals(bytes.join("the SAME size\n", text(6, 10)),
                concat(all(changed.shards().train()), all(changed.shards().val())));
        assertTrue(Prepare.run(request, listener).reused());

        PrepareRequest retrained = request.withTokenizer(new ByteTokenizer(257, 256, "retrained"));
        Prepared retokenized = Prepare.run(retrained, listener);
        assertFalse(retokenized.reused());
        assertTrue(retokenized.reason().startsWith("the tokenizer changed"), retokenized.reason());

        Prepared resplit = Prepare.run(retrained.withValFraction(0.2), listener);
        assertFalse(resplit.reused());
        assertTrue(resplit.reason().contains("val_fraction: 0.1 -> 0.2"), resplit.reason());

        Prepared transformed = Prepare.run(retrained.withValFraction(0.2).withTransform(TextTransform.LF), listener);
        assertFalse(transformed.reused());
        assertTrue(transformed.reason().contains("transform: none -> lf"), transformed.reason());
    }

    @Test
    void aForeignShardOfTheRightSizeIsPreparedAgain() throws Exception {
        Files.writeString(dir.resolve("mine.txt"), text(12, 40));
        Files.writeString(dir.resolve("theirs.txt"), text(13, 40));
        Path out = dir.resolve("out");
        Path other = dir.resolve("other");
        PrepareRequest request = request(source(dir.resolve("mine.txt")), out);
        int[] mine = all(Prepare.run(request, PrepareListener.SILENT).shards().train());
        Prepare.run(request(source(dir.resolve("theirs.txt")), other), PrepareListener.SILENT);
        Path shard = out.resolve("train-00000.bin");
        byte[] original = Files.readAllBytes(shard);
        byte[] foreign = Files.readAllBytes(other.resolve("train-00000.bin"));
        Files.write(shard, Arrays.copyOf(foreign, original.length));
        assertFalse(Arrays.equals(original, Files.readAllBytes(shard)), "the two corpora's tokens differ");
        TokenShards.open(out); // every size still matches

        Prepared again = Prepare.run(request, PrepareListener.SILENT);
        assertFalse(again.reused(), "a foreign shard of the right size is not reused");
        assertEquals("its shards are damaged (train-00000.bin does not match the SHA-256 in meta.json)", again.reason());
        assertArrayEquals(mine, all(again.shards().train()));
        assertTrue(Prepare.run(request, PrepareListener.SILENT).reused());
    }

    @Test
    void aMetaJsonWithoutShardHashesIsPreparedAgainAndThenHasThem() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), text(14, 20));
        Path out = dir.resolve("out");
        PrepareRequest request = request(source(dir.resolve("corpus.txt")), out);
        Prepare.run(request, PrepareListener.SILENT);
        Path meta = out.resolve(DatasetMeta.FILE);
        String withHashes = Files.readString(meta);
        assertTrue(withHashes.contains("\"sha256\""), withHashes);
        // As an older tlab wrote it: shards with file, tokens and bytes only.
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = mapper.readTree(withHashes);
        for (var split : root.get("splits")) {
            split.get("shards").forEach(shard -> ((com.fasterxml.jackson.databind.node.ObjectNode) shard).remove("sha256"));
        }
        Files.writeString(meta, mapper.writeValueAsString(root));
        assertTrue(DatasetMeta.read(out).train().shards().stream().allMatch(s -> s.sha256() == null));
        TokenShards.open(out); // still readable as it is: train on it works
        Prepared again = Prepare.run(request, PrepareListener.SILENT);
        assertFalse(again.reused());
        assertEquals("its meta.json records no SHA-256 for train-00000.bin (prepared by an older tlab)", again.reason());
        assertTrue(again.shards().meta().train().shards().stream().allMatch(s -> s.sha256() != null));
        assertTrue(Prepare.run(request, PrepareListener.SILENT).reused());
    }

    @Test
    void aSecondPrepareOfTheSameDirectoryWaitsThenReuses() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), text(15, 60));
        Path out = dir.resolve("out");
        PrepareRequest request = request(source(dir.resolve("corpus.txt")), out);
        List<String> messages = java.util.Collections.synchronizedList(new ArrayList<>());
        PrepareListener listener = new PrepareListener() {
            @Override
            public void progress(PrepareProgress progress) {}

            @Override
            public void message(String text) {
                messages.add(text);
            }
        };
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.Future<Prepared> second;
            try (PrepareLock held = PrepareLock.acquire(out, PrepareListener.SILENT)) {
                second = pool.submit(() -> Prepare.run(request, listener));
                for (int i = 0; i < 100 && messages.isEmpty(); i++) {
                    Thread.sleep(50);
                }
                assertEquals(List.of("waiting: another tlab prepare is writing " + out + " (it holds " + dir.resolve(".out.lock") + ");"
                        + " this one goes on when it finishes"), messages);
                assertFalse(Files.exists(out) || Files.exists(dir.resolve("out.preparing")), "it waits before writing");
            }
            assertFalse(second.get().reused(), "prepared once the lock was free");

            Files.writeString(dir.resolve("corpus.txt"), text(16, 60));
            var a = pool.submit(() -> Prepare.run(request, PrepareListener.SILENT));
            var b = pool.submit(() -> Prepare.run(request, PrepareListener.SILENT));
            assertEquals(1, (a.get().reused() ? 1 : 0) + (b.get().reused() ? 1 : 0), "one prepares, the other reuses");
            assertArrayEquals(all(a.get().shards().train()), all(b.get().shards().train()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anEditedVocabSizeInMetaJsonIsNamedAsSuch() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), text(17, 20));
        Path out = dir.resolve("out");
        PrepareRequest request = request(source(dir.resolve("corpus.txt")), out);
        Prepare.run(request, PrepareListener.SILENT);
        Path meta = out.resolve(DatasetMeta.FILE);
        Files.writeString(meta, Files.readString(meta).replace("\"vocab_size\" : 257", "\"vocab_size\" : 300"));
        Prepared again = Prepare.run(request, PrepareListener.SILENT);
        assertFalse(again.reused());
        assertEquals("its meta.json records vocab_size 300 for this very tokenizer (fingerprint " + bytes.fingerprint()
                + "), which has 257: meta.json was edited or damaged", again.reason());
    }

    @Test
    void aNewFileInTheSourceDirectoryPreparesAgain() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a.txt"), text(7, 10));
        Path out = dir.resolve("out");
        Prepare.run(request(source(corpus), out), PrepareListener.SILENT);
        Files.writeString(corpus.resolve("b.txt"), "more\n");
        Prepared again = Prepare.run(request(source(corpus), out), PrepareListener.SILENT);
        assertFalse(again.reused());
        assertTrue(again.reason().contains("names other files (added: " + corpus.resolve("b.txt")), again.reason());
    }

    @Test
    void aFailedPrepareLeavesThePreviousDataAndNoPartialDirectory() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a.txt"), text(8, 30));
        Path out = dir.resolve("out");
        TokenShards before = Prepare.run(request(source(corpus), out), PrepareListener.SILENT).shards();
        int[] tokens = all(before.train());
        Files.write(corpus.resolve("b.txt"), new byte[] {'o', 'k', '\n', (byte) 0xC3, '('});
        var e = assertThrows(ConfigException.class, () -> Prepare.run(request(source(corpus), out), PrepareListener.SILENT));
        assertTrue(e.getMessage().contains("b.txt is not UTF-8 text"), e.getMessage());
        assertArrayEquals(tokens, all(TokenShards.open(out).train()), "the earlier prepared data is intact");
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of(".out.lock", "corpus", "out"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "nothing but the (empty, hidden) lock file beside it");
        }
        Path fresh = dir.resolve("fresh");
        assertThrows(ConfigException.class, () -> Prepare.run(request(source(corpus), fresh), PrepareListener.SILENT));
        assertFalse(Files.exists(fresh), "a failed first prepare leaves no directory that looks prepared");
    }

    @Test
    void aDirectoryThatIsNotPreparedDataIsNeverReplaced() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), text(9, 5));
        Path notes = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(notes.resolve("todo.txt"), "keep me");
        var e = assertThrows(ConfigException.class,
                () -> Prepare.run(request(source(dir.resolve("corpus.txt")), notes), PrepareListener.SILENT));
        assertTrue(e.getMessage().startsWith(notes + ": exists, holds files and no meta.json"), e.getMessage());
        assertEquals("keep me", Files.readString(notes.resolve("todo.txt")));
    }

    @Test
    void progressCountsEverySourceByte() throws Exception {
        String text = "\uFEFF" + text(11, 50);
        Files.writeString(dir.resolve("corpus.txt"), text);
        List<PrepareProgress> seen = new ArrayList<>();
        Prepare.run(request(source(dir.resolve("corpus.txt")), dir.resolve("out")), seen::add);
        PrepareProgress last = seen.get(seen.size() - 1);
        long size = text.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(size, last.bytesTotal());
        assertEquals(size, last.bytesDone(), "the byte-order mark counts as read");
        assertEquals(size - 3, last.tokens(), "the byte-order mark is not text");
        assertTrue(last.finished());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).bytesDone() > seen.get(i - 1).bytesDone());
        }
    }

    @Test
    void theTransformSeesEachPieceBeforeEncoding() throws Exception {
        Files.writeString(dir.resolve("dos.txt"), "line one\r\nline two\r\n".repeat(20));
        TokenShards shards = Prepare.run(request(source(dir.resolve("dos.txt")), dir.resolve("out"))
                .withTransform(TextTransform.LF), PrepareListener.SILENT).shards();
        assertArrayEquals(bytes.encode("line one\nline two\n".repeat(20)), concat(all(shards.train()), all(shards.val())));
        assertEquals("lf", shards.meta().settings().transform());
    }

    @Test
    void theConsoleLineShowsBytesRateTokensAndEta() {
        java.io.StringWriter text = new java.io.StringWriter();
        ConsoleProgress console = new ConsoleProgress(new java.io.PrintWriter(text), false);
        console.progress(new PrepareProgress(2_500_000, 10_000_000, 600_000, 4));
        assertEquals("prepare 2.5/10.0 MB [======>                 ]  25% | 0.6 MB/s | 600,000 tokens | ETA 12s",
                text.toString().strip());
    }

    @Test
    void chunksInFlightAreBoundedByThreadsAndByTheHeap() {
        assertEquals(4, Prepare.chunksInFlight(2, 1 << 20, 1L << 30), "two per thread");
        assertEquals(16, Prepare.chunksInFlight(64, 1 << 20, 1L << 30), "a quarter of a 1 GiB heap holds 16");
        assertEquals(1, Prepare.chunksInFlight(8, 1 << 20, 16L << 20), "at least one");
    }
}
