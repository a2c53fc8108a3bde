package dev.tlab.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.errors.ConfigException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardsTest {

    @TempDir Path dir;
    private Path out;

    @BeforeEach
    void prepare() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), PrepareTest.text(1, 30));
        TextSources source = TextSources.resolve("data.path", "corpus.txt", dir, null);
        out = dir.resolve("out");
        Prepare.run(PrepareRequest.of(source, new ByteTokenizer(), out).withShardTokens(100).withThreads(2),
                PrepareListener.SILENT);
    }

    @Test
    void metaJsonRecordsWhatDecidesTheTokens() throws Exception {
        DatasetMeta meta = TokenShards.open(out).meta();
        assertEquals("bytes", meta.tokenizer().kind());
        assertEquals(new ByteTokenizer().fingerprint(), meta.tokenizer().fingerprint());
        assertEquals(257, meta.tokenizer().vocabSize());
        assertEquals(256, meta.settings().separator());
        assertEquals(0.1, meta.settings().valFraction());
        assertEquals("none", meta.settings().transform());
        SourceFile source = meta.trainSources().get(0);
        assertEquals(dir.resolve("corpus.txt").toString(), source.path());
        assertEquals(Files.size(dir.resolve("corpus.txt")), source.bytes());
        assertEquals(TextSources.resolve("data.path", "corpus.txt", dir, null).hash().get(0).sha256(), source.sha256());
        assertEquals(meta.train().tokens() + meta.val().tokens(), source.bytes(), "one token per byte");
        assertEquals(meta, DatasetMeta.read(out), "meta.json reads back as written");
        String json = Files.readString(out.resolve("meta.json"));
        assertTrue(json.contains("\"dtype\" : \"uint16\"") && json.contains("\"file\" : \"train-00000.bin\""), json);
    }

    @Test
    void aTruncatedShardIsNamedWithItsExpectedAndActualSize() throws Exception {
        Path shard = out.resolve("train-00001.bin");
        try (RandomAccessFile file = new RandomAccessFile(shard.toFile(), "rw")) {
            file.setLength(150);
        }
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(out));
        assertEquals(shard + ": 150 bytes, but meta.json records 200 (100 uint16 tokens); the shard is truncated or foreign:"
                + " prepare again", e.getMessage());
    }

    @Test
    void aShardReplacedByAForeignFileIsNamed() throws Exception {
        Path shard = out.resolve("val-00000.bin");
        Files.write(shard, new byte[(int) Files.size(shard) + 6]);
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(out));
        assertTrue(e.getMessage().startsWith(shard + ": " + Files.size(shard) + " bytes, but meta.json records"), e.getMessage());
    }

    @Test
    void aShardFileMetaJsonDoesNotListIsNamed() throws Exception {
        Files.write(out.resolve("train-00099.bin"), new byte[10]);
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(out));
        assertTrue(e.getMessage().startsWith(out.resolve("train-00099.bin") + ": a shard file meta.json does not list (10 bytes)"),
                e.getMessage());
    }

    @Test
    void aMissingShardIsNamed() throws Exception {
        Files.delete(out.resolve("train-00000.bin"));
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(out));
        assertTrue(e.getMessage().startsWith(out.resolve("train-00000.bin") + ": missing; meta.json lists it with 200 bytes"),
                e.getMessage());
    }

    @Test
    void aDirectoryWithoutMetaJsonIsNotPreparedData() {
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(dir));
        assertTrue(e.getMessage().contains("is not prepared token data (run tlab prepare)"), e.getMessage());
    }

    @Test
    void damagedShardsArePreparedAgainNotReused() throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(out.resolve("train-00000.bin").toFile(), "rw")) {
            file.setLength(2);
        }
        TextSources source = TextSources.resolve("data.path", "corpus.txt", dir, null);
        Prepared again = Prepare.run(PrepareRequest.of(source, new ByteTokenizer(), out).withShardTokens(100).withThreads(2),
                PrepareListener.SILENT);
        assertFalse(again.reused());
        assertTrue(again.reason().startsWith("its shards are damaged"), again.reason());
        assertEquals(200, Files.size(out.resolve("train-00000.bin")));
    }

    @Test
    void aSplitShorterThanOneWindowIsNamed() {
        TokenShards shards = TokenShards.open(out);
        long val = shards.val().length();
        shards.requireWindow((int) val - 1);
        var e = assertThrows(ConfigException.class, () -> shards.requireWindow((int) val));
        assertEquals("model.context (" + val + ") is longer than the data: the validation split of " + out + " has " + val
                + " tokens, and a window needs context + 1 = " + (val + 1)
                + ". Use a smaller model.context, more data, or another data.val_fraction.", e.getMessage());
    }

    @Test
    void anotherTokenizerIsRefused() {
        TokenShards shards = TokenShards.open(out);
        shards.requireTokenizer(new ByteTokenizer());
        var e = assertThrows(ConfigException.class, () -> shards.requireTokenizer(new ByteTokenizer(257, 256, "other")));
        assertTrue(e.getMessage().startsWith("data.tokenizer: " + out + " was prepared with tokenizer bytes"), e.getMessage());
    }

    @Test
    void windowsOutsideTheSplitAreRefused() {
        TokenShards shards = TokenShards.open(out);
        int[] window = new int[4];
        shards.train().copy(shards.train().length() - 4, window, 0, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> shards.train().copy(shards.train().length() - 3, window, 0, 4));
        int[] first = new int[3];
        shards.val().copy(0, first, 0, 3);
        int[] all = new ByteTokenizer().encode(PrepareTest.text(1, 30));
        assertArrayEquals(java.util.Arrays.copyOfRange(all, (int) shards.train().length(), (int) shards.train().length() + 3), first);
    }

    @Test
    void aMetaJsonNamingAFileOutsideTheDirectoryIsRefused() throws Exception {
        Path meta = out.resolve("meta.json");
        Files.writeString(meta, Files.readString(meta).replace("\"train-00000.bin\"", "\"../corpus.bin\""));
        var e = assertThrows(ConfigException.class, () -> TokenShards.open(out));
        assertEquals(meta + ": shard '../corpus.bin' is not a distinct .bin file name", e.getMessage());
    }
}
