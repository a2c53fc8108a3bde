package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {

    @TempDir Path dir;

    /** Hugging Face's Rust BPE, loading tlab's tokenizer.json, must give tlab's ids. */
    @Test
    void rustImplementationGivesTheTrainedBpesIds() throws Exception {
        BpeTrainer trainer = new BpeTrainer(1000, "<|pad|>");
        trainer.add(TestTexts.shakespeare(50_000));
        trainer.add(TestTexts.random(new Random(9), 5_000));
        ByteLevelBpe bpe = trainer.train();
        bpe.save(dir);
        try (HfTokenizer hf = HfTokenizer.load(dir.resolve(Tokenizer.FILE))) {
            assertEquals(bpe.vocabSize(), hf.vocabSize());
            assertEquals(bpe.documentSeparator(), hf.documentSeparator());
            for (String text : TestTexts.tricky()) {
                assertArrayEquals(bpe.encode(text), hf.encode(text), () -> "ids of " + text);
                assertEquals(text, hf.decode(hf.encode(text)));
            }
            Random random = new Random(21);
            for (int i = 0; i < 300; i++) {
                String text = TestTexts.random(random, 1 + random.nextInt(100));
                assertArrayEquals(bpe.encode(text), hf.encode(text), () -> "ids of " + text);
            }
            String text = TestTexts.shakespeare(100_000) + "<|pad|><|endoftext|>";
            int[] ids = bpe.encode(text);
            assertTrue(ids.length > 10_000, "long text, no truncation: " + ids.length);
            assertArrayEquals(ids, hf.encode(text));
        }
    }

    @Test
    void givesPythonTokenizersIdsForItsOwnFile() {
        try (HfTokenizer hf = HfTokenizer.load(TestTexts.hfTrainedTokenizer())) {
            assertEquals(600, hf.vocabSize());
            assertEquals(0, hf.documentSeparator());
            for (var c : TestTexts.hfTrainedIds().path("cases")) {
                assertArrayEquals(TestTexts.ids(c), hf.encode(c.path("text").asText()));
            }
        }
    }

    @Test
    void idsArePlainWithoutTemplateTokens() throws Exception {
        ByteLevelBpe bpe = ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 300);
        bpe.save(dir);
        // A template that would put <|endoftext|> before every text if special tokens were added.
        String json = Files.readString(dir.resolve(Tokenizer.FILE)).replace("\"post_processor\" : null",
                "\"post_processor\" : {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": "
                        + "{\"id\": \"<|endoftext|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
                        + " \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}],"
                        + " \"special_tokens\": {\"<|endoftext|>\": {\"id\": \"<|endoftext|>\", \"ids\": [299], \"tokens\": [\"<|endoftext|>\"]}}}");
        Path file = dir.resolve("templated.json");
        Files.writeString(file, json);
        try (HfTokenizer hf = HfTokenizer.load(file)) {
            assertArrayEquals(bpe.encode("To be"), hf.encode("To be"));
        }
    }

    @Test
    void fingerprintIsTheFilesHashAndSaveCopiesIt() throws Exception {
        ByteLevelBpe bpe = ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 300);
        bpe.save(dir);
        Path file = dir.resolve(Tokenizer.FILE);
        Path copy = Files.createDirectory(dir.resolve("copy"));
        try (HfTokenizer hf = HfTokenizer.load(file)) {
            assertEquals("hf", hf.kind());
            assertEquals(Fingerprint.of(Files.readAllBytes(file)), hf.fingerprint());
            hf.save(copy);
        }
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy.resolve(Tokenizer.FILE)));
    }

    @Test
    void theCpuBuildInTheJarIsChosenSoNothingIsDownloaded() throws Exception {
        ByteLevelBpe bpe = ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 300);
        bpe.save(dir);
        try (HfTokenizer hf = HfTokenizer.load(dir.resolve(Tokenizer.FILE))) {
            assertArrayEquals(bpe.encode("To be"), hf.encode("To be"));
        }
        // DJL reads these on the first load: a CUDA host would otherwise fetch a CUDA build of tokenizers.
        if (System.getenv("RUST_FLAVOR") == null) {
            assertEquals("cpu", System.getProperty("RUST_FLAVOR"));
        }
        if (System.getenv("OPT_OUT_TRACKING") == null) {
            assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
        }
    }

    @Test
    void decodeRefusesIdsOutsideTheVocabulary() throws Exception {
        ByteLevelBpe bpe = ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 300);
        bpe.save(dir);
        try (HfTokenizer hf = HfTokenizer.load(dir.resolve(Tokenizer.FILE))) {
            var e = assertThrows(IllegalArgumentException.class, () -> hf.decode(new int[] {300}));
            assertTrue(e.getMessage().contains("0..299"), e.getMessage());
        }
    }

    @Test
    void unloadableFilesAreRefusedInOneLineNamingTheFile() throws Exception {
        Map<String, String> files = Map.of(
                "missing.json", "",
                "not-json.json", "{\"model\": [",
                "no-model.json", "{\"version\": \"1.0\"}",
                "bad-model.json", "{\"version\": \"1.0\", \"model\": {\"type\": \"Nonsense\", \"vocab\": {}}}");
        Map<String, String> mentions = Map.of("missing.json", "no such file", "not-json.json", "not valid JSON",
                "no-model.json", "model", "bad-model.json", "cannot load");
        for (var entry : files.entrySet()) {
            Path path = dir.resolve(entry.getKey());
            if (!entry.getValue().isEmpty()) {
                Files.writeString(path, entry.getValue());
            }
            var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(path));
            assertTrue(e.getMessage().startsWith(path.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(mentions.get(entry.getKey())), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
