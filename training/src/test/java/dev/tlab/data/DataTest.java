package dev.tlab.data;

import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.CharTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {

    @TempDir Path dir;

    @Test
    void tokenizerRoundTripsAndSortsItsVocabulary() {
        CharTokenizer tokenizer = CharTokenizer.fit("hello, world");
        assertEquals(" ,dehlorw", tokenizer.vocab());
        assertEquals("low", tokenizer.decode(tokenizer.encode("low")));
        assertArrayEquals(new int[] {5, 6, 8}, tokenizer.encode("low"));
        var e = assertThrows(ConfigException.class, () -> tokenizer.encode("lax"));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    }

    @Test
    void splitIsNinetyTen() {
        int[] tokens = new int[1000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        TokenSplits splits = TokenSplits.split(tokens, 0.1);
        assertEquals(900, splits.train().length);
        assertEquals(100, splits.val().length);
        assertEquals(899, splits.train()[899]);
        assertEquals(900, splits.val()[0]);
    }

    @Test
    void samplerIsSeededAndShiftsTargets() {
        int[] tokens = new int[500];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        BatchSampler sampler = new BatchSampler(tokens, 4, 8, 42);
        BatchSampler.Batch a = sampler.sample(3, 0);
        assertArrayEquals(a.inputs(), new BatchSampler(tokens, 4, 8, 42).sample(3, 0).inputs());
        assertNotEquals(a.inputs()[0] + 1000L * a.inputs()[8], sampler.sample(4, 0).inputs()[0] + 1000L * sampler.sample(4, 0).inputs()[8]);
        for (int i = 0; i < a.inputs().length; i++) {
            assertEquals(a.inputs()[i] + 1, a.targets()[i]);
        }
        for (int row = 0; row < 4; row++) {
            for (int t = 1; t < 8; t++) {
                assertEquals(a.inputs()[row * 8] + t, a.inputs()[row * 8 + t], "windows are contiguous");
            }
        }
    }

    @Test
    void missingFileIsNamed() {
        var e = assertThrows(ConfigException.class, () -> Corpus.read(dir.resolve("absent.txt")));
        assertTrue(e.getMessage().startsWith("data.path: file not found:") && e.getMessage().contains("absent.txt"), e.getMessage());
    }

    @Test
    void emptyFileIsNamed() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        var e = assertThrows(ConfigException.class, () -> Corpus.read(empty));
        assertTrue(e.getMessage().startsWith("data.path: file is empty:"), e.getMessage());
    }

    @Test
    void contextLongerThanDataIsNamed() {
        TokenSplits splits = TokenSplits.split(new int[200], 0.1);
        var e = assertThrows(ConfigException.class, () -> splits.requireWindow(64, "tiny.txt"));
        assertTrue(e.getMessage().startsWith("model.context (64) is longer than the data"), e.getMessage());
        assertTrue(e.getMessage().contains("validation split of tiny.txt has 20 tokens"), e.getMessage());
    }
}
