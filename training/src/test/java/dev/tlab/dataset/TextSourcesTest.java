package dev.tlab.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.errors.ConfigException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextSourcesTest {

    private static final String HINT = "; if it is written in another character set, set data.encoding (e.g. ISO-8859-1 or windows-1252), or data.on_bad_file: skip to leave such files out";

    @TempDir Path dir;

    private ConfigException prepareFails(String spec, String textField) {
        TextSources source = TextSources.resolve("data.path", spec, dir, textField);
        return assertThrows(ConfigException.class, () -> Prepare.run(
                PrepareRequest.of(source, new ByteTokenizer(), dir.resolve("out")).withPieceBytes(64).withThreads(2),
                PrepareListener.SILENT));
    }

    private ConfigException resolveFails(String spec, String textField) {
        return assertThrows(ConfigException.class, () -> TextSources.resolve("data.path", spec, dir, textField));
    }

    @Test
    void invalidUtf8NamesTheFileAndByteOffset() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // the offset counts the byte-order mark
        bytes.write("fine text, ünïcode too\n".repeat(40).getBytes(StandardCharsets.UTF_8));
        int offset = bytes.size() + 5;
        bytes.write("more ".getBytes(StandardCharsets.UTF_8));
        bytes.write(0xFF);
        bytes.write(" and the rest\n".getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("bad.txt"), bytes.toByteArray());
        var e = prepareFails("bad.txt", null);
        assertEquals("data.path: " + dir.resolve("bad.txt") + " is not UTF-8 text: bad byte sequence at byte offset " + offset
                + HINT, e.getMessage());
    }

    @Test
    void aTruncatedUtf8SequenceAtTheEndIsInvalid() throws Exception {
        Files.write(dir.resolve("cut.txt"), new byte[] {'a', 'b', (byte) 0xE6, (byte) 0x97});
        assertTrue(prepareFails("cut.txt", null).getMessage().endsWith("at byte offset 2" + HINT));
    }

    @Test
    void jsonLinesErrorsNameTheLineNumber() throws Exception {
        String good = "{\"text\": \"a document long enough to fill pieces of sixty-four bytes\"}\n".repeat(20);
        Files.writeString(dir.resolve("notjson.jsonl"), good + "{\"text\": oops}\n");
        assertTrue(prepareFails("notjson.jsonl", "text").getMessage().startsWith(
                "data.path: " + dir.resolve("notjson.jsonl") + " line 21 is not JSON ("), "not JSON");
        Files.writeString(dir.resolve("array.jsonl"), good + "\n[\"text\"]\n");
        assertEquals("data.path: " + dir.resolve("array.jsonl") + " line 22 is a JSON array, not an object; allowed: one JSON"
                + " object per line", prepareFails("array.jsonl", "text").getMessage());
        Files.writeString(dir.resolve("missing.jsonl"), good + "{\"body\": \"x\", \"id\": 3}\n");
        assertEquals("data.text_field: " + dir.resolve("missing.jsonl") + " line 21 has no field 'text' (its fields: body, id);"
                + " set data.text_field to the field holding the text", prepareFails("missing.jsonl", "text").getMessage());
        Files.writeString(dir.resolve("number.jsonl"), "{\"text\": 5}\n");
        assertEquals("data.text_field: " + dir.resolve("number.jsonl") + " line 1: field 'text' is a number; allowed: a string",
                prepareFails("number.jsonl", "text").getMessage());
        Files.writeString(dir.resolve("two.jsonl"), "{\"text\": \"a\"} {\"text\": \"b\"}\n");
        assertTrue(prepareFails("two.jsonl", "text").getMessage().contains(" line 1 is not JSON ("), "one object per line");
    }

    @Test
    void jsonLinesNeedATextField() throws Exception {
        Files.writeString(dir.resolve("docs.jsonl"), "{\"text\": \"a\"}\n");
        assertEquals("data.text_field: " + dir.resolve("docs.jsonl") + " is JSON Lines (.jsonl); set data.text_field to the"
                + " string field that holds each line's text", resolveFails("docs.jsonl", null).getMessage());
    }

    @Test
    void missingEmptyAndUnmatchedSourcesAreNamed() throws Exception {
        assertEquals("data.path: file not found: " + dir.resolve("absent.txt"), resolveFails("absent.txt", null).getMessage());
        Files.createDirectories(dir.resolve("empty"));
        Files.writeString(dir.resolve("empty/.hidden"), "skipped");
        assertEquals("data.path: directory " + dir.resolve("empty") + " holds no files (hidden files are skipped); it must hold"
                + " text files", resolveFails("empty", null).getMessage());
        assertEquals("data.path: no file matches the glob 'data/*.txt' (in " + dir + "; hidden files are skipped)",
                resolveFails("data/*.txt", null).getMessage());
        Files.createFile(dir.resolve("zero.txt"));
        assertEquals("data.path: file is empty: " + dir.resolve("zero.txt") + "; every source file must hold text"
                + " (data.on_bad_file: skip leaves such files out)",
                resolveFails("zero.txt", null).getMessage());
        Files.writeString(dir.resolve("blank.jsonl"), "\n\n");
        assertEquals("data.path: blank.jsonl holds no text to encode", prepareFails("blank.jsonl", "text").getMessage());
    }

    @Test
    void aGlobMatchesRelativeToTheBaseInSortedOrder() throws Exception {
        Files.createDirectories(dir.resolve("data/deeper"));
        for (String name : List.of("data/b.txt", "data/a.txt", "data/c.md", "data/.d.txt", "data/deeper/e.txt")) {
            Files.writeString(dir.resolve(name), name);
        }
        assertEquals(List.of(dir.resolve("data/a.txt"), dir.resolve("data/b.txt")),
                TextSources.resolve("data.path", "data/*.txt", dir, null).files());
        assertEquals(List.of(dir.resolve("data/deeper/e.txt")), TextSources.resolve("data.path", "data/**/*.txt", dir, null).files());
        assertEquals(List.of(dir.resolve("data/a.txt"), dir.resolve("data/b.txt"), dir.resolve("data/c.md")),
                TextSources.resolve("data.path", dir + "/data/*.{txt,md}", Path.of("/elsewhere"), null).files());
    }

    @Test
    void longFilesAreCutAtLineBreaksAndNeverInsideACharacter() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            lines.append(i % 4 == 0 ? "  " : "").append("line ").append(i).append(": säß 日本語").append(i % 9 == 0 ? "\n\n" : "\n");
        }
        String oneLongLine = "日本語🙂säß ".repeat(50) + "wordwithoutanyspaceatallbutlongerthan64bytes".repeat(3);
        Files.writeString(dir.resolve("lines.txt"), lines);
        Files.writeString(dir.resolve("long.txt"), oneLongLine);
        for (String name : List.of("lines.txt", "long.txt")) {
            List<String> pieces = new ArrayList<>();
            TextSources source = TextSources.resolve("data.path", name, dir, null);
            source.read(64, chunk -> chunk.pieces().forEach(p -> pieces.add(p.text())));
            assertEquals(Files.readString(dir.resolve(name)), String.join("", pieces), name);
            assertTrue(pieces.size() > 10, name + " in pieces");
            for (String piece : pieces.subList(0, pieces.size() - 1)) {
                if (name.equals("lines.txt")) {
                    assertTrue(piece.endsWith("\n"), "a piece ends a line: " + piece);
                }
                assertTrue(piece.getBytes(StandardCharsets.UTF_8).length <= 64);
            }
        }
    }

    @Test
    void aByteOrderMarkIsNotText() throws Exception {
        Files.writeString(dir.resolve("bom.txt"), "\uFEFFhello\n");
        List<String> pieces = new ArrayList<>();
        List<SourceFile> read = TextSources.resolve("data.path", "bom.txt", dir, null)
                .read(64, chunk -> chunk.pieces().forEach(p -> pieces.add(p.text())));
        assertEquals(List.of("hello\n"), pieces);
        assertEquals(9, read.get(0).bytes(), "the file as read, mark included");
    }

    @Test
    void smallDocumentsTravelTogetherAndKeepTheirBoundaries() throws Exception {
        Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < 50; i++) {
            Files.writeString(dir.resolve(String.format("many/%02d.txt", i)), "doc " + i);
        }
        List<TextChunk> chunks = new ArrayList<>();
        TextSources.resolve("data.path", "many", dir, null).read(64, chunks::add);
        assertTrue(chunks.size() < 20, "files of a few bytes are batched: " + chunks.size() + " chunks");
        List<String> documents = new ArrayList<>();
        for (TextChunk chunk : chunks) {
            for (TextChunk.Piece piece : chunk.pieces()) {
                assertTrue(piece.startsDocument());
                documents.add(piece.text());
            }
        }
        assertEquals(50, documents.size());
        assertEquals("doc 49", documents.get(49));
    }

    @Test
    void hashIsTheFilesSizeAndSha256() throws Exception {
        Files.writeString(dir.resolve("abc.txt"), "abc");
        SourceFile hashed = TextSources.resolve("data.path", "abc.txt", dir, null).hash().get(0);
        assertEquals(new SourceFile(dir.resolve("abc.txt").toString(), 3,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), hashed);
        assertArrayEquals(new byte[] {'a', 'b', 'c'}, Files.readAllBytes(dir.resolve("abc.txt")));
    }

    @Test
    void theFirstBadFileInSourceOrderIsReportedWhateverTheThreads() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        for (int i = 0; i < 20; i++) {
            byte[] text = ("file " + i + " has a line or two\n").repeat(5).getBytes(StandardCharsets.UTF_8);
            if (i == 5 || i == 6 || i == 15) {
                text[40] = (byte) 0xFE;
            }
            Files.write(corpus.resolve(String.format("%02d.txt", i)), text);
        }
        for (int threads : new int[] {1, 4}) {
            TextSources source = TextSources.resolve("data.path", "corpus", dir, null);
            var e = assertThrows(ConfigException.class, () -> Prepare.run(
                    PrepareRequest.of(source, new ByteTokenizer(), dir.resolve("out")).withPieceBytes(64).withThreads(threads),
                    PrepareListener.SILENT));
            assertEquals("data.path: " + corpus.resolve("05.txt") + " is not UTF-8 text: bad byte sequence at byte offset 40"
                    + HINT, e.getMessage(), threads + " threads");
        }
    }
}
