package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2TokenizerTest {

    private final Gpt2Tokenizer gpt2 = Gpt2Tokenizer.get();

    @Test
    void idsMatchJsTiktoken() {
        JsonNode cases = TestTexts.gpt2Fixture().path("cases");
        assertTrue(cases.size() >= 20, "fixture has " + cases.size() + " cases");
        for (JsonNode c : cases) {
            String text = c.path("text").asText();
            assertArrayEquals(TestTexts.ids(c), gpt2.encode(text), () -> "ids of " + text);
        }
    }

    @Test
    void decodeGivesTheTextBack() {
        for (String text : TestTexts.tricky()) {
            assertEquals(text, gpt2.decode(gpt2.encode(text)));
        }
    }

    @Test
    void endOfTextInTheTextIsTheSeparator() {
        assertEquals(50_256, gpt2.documentSeparator());
        assertEquals(50_257, gpt2.vocabSize());
        assertArrayEquals(new int[] {64, 50_256, 65}, gpt2.encode("a<|endoftext|>b"));
        assertEquals("<|endoftext|>", gpt2.decode(new int[] {50_256}));
    }

    @Test
    void halfACharacterDecodesAsReplacement() {
        int[] ids = gpt2.encode("日");
        assertArrayEquals(new int[] {33_768, 98}, ids, "日's three bytes are two tokens in GPT-2");
        assertEquals("\uFFFD", gpt2.decode(new int[] {ids[0]}));
        assertEquals("日", gpt2.decode(ids));
    }

    @Test
    void decodeRefusesIdsOutsideTheVocabulary() {
        var e = assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {1, 50_257}));
        assertTrue(e.getMessage().contains("50257"), e.getMessage());
    }

    @Test
    void fingerprintIsPinnedAndSaveWritesNothing(@TempDir Path dir) throws Exception {
        // A change here means JTokkit's ranks changed: GPT-2 ids in old shards and checkpoints would no longer match.
        assertEquals("97cb2ab84bd87113a6a9cdc290cf0683f461b2121251950d8b5cba13700e219a", gpt2.fingerprint());
        assertEquals("gpt2", gpt2.kind());
        gpt2.save(dir);
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}
