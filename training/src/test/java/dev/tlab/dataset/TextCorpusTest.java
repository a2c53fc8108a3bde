package dev.tlab.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.DataConfig;
import dev.tlab.data.Corpus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The char tokenizer's text: one file as it always was, a folder as documents, line breaks as data.newlines says. */
class TextCorpusTest {

    @TempDir Path dir;

    private static DataConfig data(String... overrides) {
        return ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of(overrides)).data();
    }

    /** The main job's text, and so its tokens and losses, are what they were before folders. */
    @Test
    void theShippedCorpusReadsAsBefore() {
        DataConfig data = data();
        assertEquals(Corpus.read(data.path(), data.newlines()), TextCorpus.read(data, PrepareListener.SILENT));
    }

    @Test
    void aFolderIsItsDocumentsInPathOrderEachEndingInALineBreak() throws IOException {
        Path texts = Files.createDirectories(dir.resolve("texts/sub"));
        Files.writeString(dir.resolve("texts/b.txt"), "second\r\nfile");
        Files.writeString(dir.resolve("texts/a.txt"), "first file\n");
        Files.writeString(texts.resolve("c.jsonl"), "{\"text\": \"one\"}\n\n{\"text\": \"two\\nlines\", \"n\": 2}\n");
        Files.writeString(dir.resolve("texts/.hidden"), "left out");
        List<String> messages = new ArrayList<>();
        PrepareListener listener = new PrepareListener() {
            @Override
            public void progress(PrepareProgress progress) {}

            @Override
            public void message(String text) {
                messages.add(text);
            }
        };
        assertEquals("first file\nsecond\r\nfile\none\ntwo\nlines",
                TextCorpus.read(data("data.path=" + dir.resolve("texts")), listener));
        assertEquals("first file\nsecond\nfile\none\ntwo\nlines",
                TextCorpus.read(data("data.path=" + dir.resolve("texts"), "data.newlines=lf"), listener));
        assertEquals(List.of(), messages);
        Files.write(dir.resolve("texts/d.txt"), "na\u00efve".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("first file\nsecond\r\nfile\none\ntwo\nlines",
                TextCorpus.read(data("data.path=" + dir.resolve("texts"), "data.on_bad_file=skip"), listener));
        assertEquals(List.of("data.path: skipped 1 file (data.on_bad_file: skip): " + dir.resolve("texts/d.txt")
                + " (not UTF-8 text: bad byte sequence at byte offset 2)"), messages);
        assertEquals("na\u00efve", TextCorpus.read(data("data.path=" + dir.resolve("texts/d.txt"),
                "data.encoding=windows-1252"), listener));
    }
}
