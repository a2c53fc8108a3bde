package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.config.DataConfig.Newlines;
import dev.tlab.data.Corpus;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {

    private static final String RABBIT = "\uD83D\uDC07"; // U+1F407, outside the BMP: two UTF-16 units

    @TempDir Path dir;

    @Test
    void anEmojiIsOneTokenAndRoundTrips() {
        String text = "run " + RABBIT + " run " + RABBIT + "!";
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        assertEquals(text.codePointCount(0, text.length()), tokenizer.encode(text).length);
        assertEquals(6, tokenizer.vocabSize(), "' ', '!', 'n', 'r', 'u' and the rabbit");
        assertEquals(0x1F407, tokenizer.symbols()[5]);
        assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
        assertEquals(RABBIT, tokenizer.decode(new int[] {5}));
    }

    @Test
    void extendKeepsOldIdsAndAppendsNewCodePointsSorted() {
        CharTokenizer base = CharTokenizer.fit("ba");
        CharTokenizer extended = CharTokenizer.extend(base.symbols(), "abc" + RABBIT);
        assertArrayEquals(new int[] {'a', 'b', 'c', 0x1F407}, extended.symbols());
        assertEquals(base.encode("ab")[0], extended.encode("ab")[0]);
    }

    @Test
    void anUnknownCharacterIsNamedWithItsCodePoint() {
        ConfigException e = assertThrows(ConfigException.class, () -> CharTokenizer.fit("abc").encode("ab" + RABBIT));
        assertTrue(e.getMessage().contains("(U+1F407) at index 2"), e.getMessage());
    }

    @Test
    void theFingerprintFollowsTheVocabulary() {
        assertEquals(CharTokenizer.fit("abc").fingerprint(), new CharTokenizer("abc").fingerprint());
        assertNotEquals(CharTokenizer.fit("abc").fingerprint(), new CharTokenizer("acb").fingerprint());
    }

    @Test
    void aByteOrderMarkIsNotText() throws IOException {
        Path file = dir.resolve("bom.txt");
        Files.write(file, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i'});
        assertEquals("hi", Corpus.read(file));
    }

    @Test
    void newlinesKeepOrReadAsLf() throws IOException {
        Path file = dir.resolve("crlf.txt");
        Files.writeString(file, "one\r\ntwo\rthree\n", StandardCharsets.UTF_8);
        assertEquals("one\r\ntwo\rthree\n", Corpus.read(file, Newlines.KEEP));
        assertEquals("one\ntwo\nthree\n", Corpus.read(file, Newlines.LF));
    }

    @Test
    void invalidUtf8NamesTheByteOffset() throws IOException {
        Path file = dir.resolve("latin1.txt");
        Files.write(file, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        ConfigException e = assertThrows(ConfigException.class, () -> Corpus.read(file));
        assertTrue(e.getMessage().contains(file + " is not valid UTF-8 text (invalid byte sequence at byte offset 3)"),
                e.getMessage());
    }
}
