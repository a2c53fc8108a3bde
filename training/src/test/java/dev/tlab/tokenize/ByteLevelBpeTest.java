package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteLevelBpeTest {

    @TempDir Path dir;

    /** Trained once: 20 kB of Shakespeare, 512 tokens. */
    private static final ByteLevelBpe SHAKESPEARE = train(TestTexts.shakespeare(20_000), 512);

    static ByteLevelBpe train(String text, int vocabSize) {
        BpeTrainer trainer = new BpeTrainer(vocabSize);
        trainer.add(text);
        return trainer.train();
    }

    @Test
    void anyTextDecodesBackUnchanged() {
        for (String text : TestTexts.tricky()) {
            assertEquals(text, SHAKESPEARE.decode(SHAKESPEARE.encode(text)), () -> "round trip of " + text);
        }
        Random random = new Random(7);
        for (int i = 0; i < 300; i++) {
            String text = TestTexts.random(random, 1 + random.nextInt(60));
            assertEquals(text, SHAKESPEARE.decode(SHAKESPEARE.encode(text)), () -> "round trip of " + text);
        }
    }

    @Test
    void lowestRankedPairMergesFirstAndTheLeftmostOnATie() {
        // Bytes are ids 0..255; merge 0 is (b c) -> 256, merge 1 is (a b) -> 257, merge 2 is (a a) -> 258.
        byte[][] tokens = new byte[260][];
        for (int b = 0; b < 256; b++) {
            tokens[b] = new byte[] {(byte) b};
        }
        tokens[256] = "bc".getBytes(StandardCharsets.US_ASCII);
        tokens[257] = "ab".getBytes(StandardCharsets.US_ASCII);
        tokens[258] = "aa".getBytes(StandardCharsets.US_ASCII);
        int[][] merges = {{'b', 'c'}, {'a', 'b'}, {'a', 'a'}};
        ByteLevelBpe bpe = new ByteLevelBpe(tokens, merges, Map.of("<|endoftext|>", 259));
        assertArrayEquals(new int[] {'a', 256}, bpe.encode("abc"), "(b c) outranks (a b)");
        assertArrayEquals(new int[] {257, 'd'}, bpe.encode("abd"));
        assertArrayEquals(new int[] {258, 'a'}, bpe.encode("aaa"), "the leftmost (a a) merges first");
        assertArrayEquals(new int[] {258, 258}, bpe.encode("aaaa"));
        assertArrayEquals(new int[] {'a', 259, 'b'}, bpe.encode("a<|endoftext|>b"));
        assertEquals(259, bpe.documentSeparator());
    }

    @Test
    void gpt2RanksGiveTiktokenIds() throws Exception {
        // GPT-2's ranks (from JTokkit's jar) turned into ids, merges and a special token: this encoder
        // must then give the ids js-tiktoken gave, which checks pre-tokenization and merge order.
        ByteLevelBpe gpt2 = fromTiktokenRanks("/com/knuddels/jtokkit/r50k_base.tiktoken");
        assertEquals(50_257, gpt2.vocabSize());
        for (JsonNode c : TestTexts.gpt2Fixture().path("cases")) {
            String text = c.path("text").asText();
            assertArrayEquals(TestTexts.ids(c), gpt2.encode(text), () -> "ids of " + text);
        }
        String text = TestTexts.shakespeare(30_000);
        assertArrayEquals(Gpt2Tokenizer.get().encode(text), gpt2.encode(text));
    }

    @Test
    void longPiecesMergeAsShortOnesDo() {
        Random random = new Random(11);
        String alphabet = "etaoin shrdlu";
        for (int i = 0; i < 200; i++) {
            byte[] bytes = new byte[1 + random.nextInt(3 * ByteLevelBpe.LONG_PIECE)];
            for (int j = 0; j < bytes.length; j++) {
                bytes[j] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
            }
            assertArrayEquals(SHAKESPEARE.mergeByScan(bytes), SHAKESPEARE.mergeByHeap(bytes));
        }
        String longWord = "thee".repeat(1000);
        assertArrayEquals(SHAKESPEARE.mergeByScan(longWord.getBytes(StandardCharsets.US_ASCII)), SHAKESPEARE.encode(longWord));
        assertEquals(longWord, SHAKESPEARE.decode(SHAKESPEARE.encode(longWord)));
    }

    @Test
    void savedTokenizerJsonLoadsBackAlike() throws Exception {
        SHAKESPEARE.save(dir);
        Path file = dir.resolve(Tokenizer.FILE);
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals("BPE", json.path("model").path("type").asText());
        assertEquals("ByteLevel", json.path("pre_tokenizer").path("type").asText());
        assertFalse(json.path("pre_tokenizer").path("add_prefix_space").asBoolean(true));
        assertTrue(json.path("pre_tokenizer").path("use_regex").asBoolean());
        assertEquals("ByteLevel", json.path("decoder").path("type").asText());
        assertEquals(511, json.path("added_tokens").get(0).path("id").asInt());
        assertEquals("<|endoftext|>", json.path("added_tokens").get(0).path("content").asText());
        assertTrue(json.path("added_tokens").get(0).path("special").asBoolean());
        assertEquals(512, json.path("model").path("vocab").size());
        assertEquals(32, json.path("model").path("vocab").path("Ġ").asInt(), "the space byte is Ġ");
        assertEquals(10, json.path("model").path("vocab").path("Ċ").asInt(), "the newline byte is Ċ");

        ByteLevelBpe loaded = ByteLevelBpe.load(file);
        assertEquals(SHAKESPEARE.fingerprint(), loaded.fingerprint());
        assertEquals(512, loaded.vocabSize());
        assertEquals(511, loaded.documentSeparator());
        for (String text : TestTexts.tricky()) {
            assertArrayEquals(SHAKESPEARE.encode(text), loaded.encode(text));
        }
    }

    @Test
    void readsTokenizerJsonWrittenByPythonsTokenizersWithItsIds() {
        // Merges as [left, right] lists, <|endoftext|> at id 0: Hugging Face's own layout.
        ByteLevelBpe bpe = ByteLevelBpe.load(TestTexts.hfTrainedTokenizer());
        assertEquals(600, bpe.vocabSize());
        assertEquals(0, bpe.documentSeparator());
        JsonNode cases = TestTexts.hfTrainedIds().path("cases");
        assertTrue(cases.size() > 20, "fixture has " + cases.size() + " cases");
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            assertArrayEquals(TestTexts.ids(c), bpe.encode(text), () -> "ids of " + text);
            assertEquals(text, bpe.decode(bpe.encode(text)));
        }
    }

    @Test
    void unusableFilesAreRefusedInOneLineNamingTheFile() throws Exception {
        SHAKESPEARE.save(dir);
        Path good = dir.resolve(Tokenizer.FILE);
        String json = Files.readString(good);
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("not-json.json", "{\"model\": ");
        broken.put("wordpiece.json", json.replace("\"type\" : \"BPE\"", "\"type\" : \"WordPiece\""));
        broken.put("prefix-space.json", json.replaceFirst("\"add_prefix_space\" : false", "\"add_prefix_space\" : true"));
        broken.put("bad-merge.json", json.replaceFirst("\"merges\" : \\[ \"", "\"merges\" : [ \"zzzz "));
        broken.put("bad-char.json", json.replace("\"Ġ\" : 32", "\"\u4e00\" : 32"));
        Map<String, String> mentions = Map.of("not-json.json", "not valid JSON", "wordpiece.json", "model.type",
                "prefix-space.json", "add_prefix_space", "bad-merge.json", "model.merges",
                "bad-char.json", "byte-level alphabet");
        for (Map.Entry<String, String> file : broken.entrySet()) {
            assertFalse(file.getValue().equals(json), file.getKey() + " is unchanged: the test edit missed");
            Path path = dir.resolve(file.getKey());
            Files.writeString(path, file.getValue());
            var e = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpe.load(path));
            assertTrue(e.getMessage().startsWith(path.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(mentions.get(file.getKey())), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        var missing = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpe.load(dir.resolve("none.json")));
        assertTrue(missing.getMessage().contains("none.json: no such file"), missing.getMessage());
    }

    @Test
    void halfACharacterDecodesAsReplacementAndUnknownIdsAreRefused() {
        int[] ids = SHAKESPEARE.encode("日");
        assertEquals(3, ids.length, "a character Shakespeare never used stays as bytes");
        assertEquals("\uFFFD", SHAKESPEARE.decode(new int[] {ids[0]}));
        var e = assertThrows(IllegalArgumentException.class, () -> SHAKESPEARE.decode(new int[] {512}));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains("0..511"), e.getMessage());
    }

    @Test
    void encodingFromManyThreadsGivesTheSameIds() {
        List<String> texts = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 400; i++) {
            texts.add(TestTexts.random(random, 200));
        }
        ByteLevelBpe fresh = train(TestTexts.shakespeare(20_000), 512);
        List<int[]> parallel = texts.parallelStream().map(fresh::encode).toList();
        IntStream.range(0, texts.size()).forEach(i -> assertArrayEquals(SHAKESPEARE.encode(texts.get(i)), parallel.get(i)));
    }

    /** tiktoken ranks as a byte-level BPE: each token of 2+ bytes is the merge of the two parts that BPE with the lower ranks leaves. */
    private static ByteLevelBpe fromTiktokenRanks(String resource) throws Exception {
        List<byte[]> tokens = new ArrayList<>();
        try (var reader = new BufferedReader(new InputStreamReader(
                Gpt2Tokenizer.class.getResourceAsStream(resource), StandardCharsets.US_ASCII))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String[] parts = line.split(" ");
                assertEquals(tokens.size(), Integer.parseInt(parts[1]), "ranks are in order");
                tokens.add(Base64.getDecoder().decode(parts[0]));
            }
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            idOf.put(new String(tokens.get(id), StandardCharsets.ISO_8859_1), id);
        }
        List<int[]> merges = new ArrayList<>();
        for (byte[] token : tokens) {
            if (token.length < 2) {
                continue;
            }
            // Naive BPE by rank of the joined token, over the ranks below this token's.
            List<byte[]> parts = new ArrayList<>();
            for (byte b : token) {
                parts.add(new byte[] {b});
            }
            int self = idOf.get(new String(token, StandardCharsets.ISO_8859_1));
            while (parts.size() > 2) {
                int best = -1;
                int bestRank = self;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer rank = idOf.get(new String(parts.get(i), StandardCharsets.ISO_8859_1)
                            + new String(parts.get(i + 1), StandardCharsets.ISO_8859_1));
                    if (rank != null && rank < bestRank) {
                        best = i;
                        bestRank = rank;
                    }
                }
                parts.set(best, tokens.get(bestRank));
                parts.remove(best + 1);
            }
            merges.add(new int[] {idOf.get(new String(parts.get(0), StandardCharsets.ISO_8859_1)),
                idOf.get(new String(parts.get(1), StandardCharsets.ISO_8859_1))});
        }
        int endOfText = tokens.size();
        tokens.add(null);
        return new ByteLevelBpe(tokens.toArray(new byte[0][]), merges.toArray(new int[0][]),
                Map.of("<|endoftext|>", endOfText));
    }
}
