package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.checkpoint.CheckpointDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text as people have it: a folder of files and JSON Lines for the {@code char} tokenizer too, files
 * in another character set ({@code data.encoding}), and a bad file among good ones
 * ({@code data.on_bad_file}).
 */
class TextAsPeopleHaveItTest {

    private static final String CONFIG = "../configs/shakespeare-char.yaml";
    private static final List<String> TINY = List.of("--set", "model.layers=1", "--set", "model.d_model=16",
            "--set", "model.heads=2", "--set", "model.context=16", "--set", "train.batch_size=2",
            "--set", "train.eval_batches=1", "--set", "train.eval_every=2", "--set", "sample.tokens=0",
            "--set", "train.device=cpu", "--set", "train.steps=2", "-q");
    private static final String LINE = "It is a truth universally acknowledged, that a single man in possession.\n";

    @TempDir Path dir;
    private Path texts;
    private Path latin;

    /** texts/: a.txt (no final line break), b.jsonl (its records hold the only 'Ω'), c-latin1.txt (Latin-1 'é'). */
    @BeforeEach
    void writeTexts() throws IOException {
        texts = Files.createDirectories(dir.resolve("texts"));
        Files.writeString(texts.resolve("a.txt"), LINE.repeat(6).strip());
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            records.add("{\"id\": " + i + ", \"text\": \"Ω " + LINE.strip() + "\"}");
        }
        Files.write(texts.resolve("b.jsonl"), records);
        latin = texts.resolve("c-latin1.txt");
        Files.write(latin, ("caf\u00e9 " + LINE).repeat(6).getBytes(StandardCharsets.ISO_8859_1));
    }

    private List<String> train(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", CONFIG, "--set", "output.dir=" + dir, "--set", "name=" + name));
        args.addAll(TINY);
        args.addAll(Arrays.asList(extra));
        return args;
    }

    private String vocabulary(String run) {
        int[] symbols = CheckpointDirectory.readState(dir.resolve(run + "/checkpoints/step-000002")).vocabulary();
        return new String(symbols, 0, symbols.length);
    }

    @Test
    void charReadsAFolderWithJsonLinesRecordsAsText() throws IOException {
        Files.delete(latin);
        Outcome trained = run(train("folder", "--set", "data.path=" + texts));
        assertEquals(0, trained.code(), trained.err());
        String vocabulary = vocabulary("folder");
        assertTrue(vocabulary.contains("Ω"), "the records' text: " + vocabulary);
        assertFalse(vocabulary.contains("{") || vocabulary.contains("\""), "not the JSON around it: " + vocabulary);
        Outcome eval = run("eval", dir.resolve("folder").toString(), "--contexts", "8,16", "--device", "cpu");
        assertEquals(0, eval.code(), "eval reads the run's folder as training did: " + eval.err());
    }

    @Test
    void aLatin1FileInAUtf8FolderIsOneLineNamingItAndDataEncoding() {
        Outcome bad = run(train("latin", "--set", "data.path=" + texts));
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertEquals("error: data.path: " + latin + " is not UTF-8 text: bad byte sequence at byte offset 3; if it is"
                + " written in another character set, set data.encoding (e.g. ISO-8859-1 or windows-1252), or"
                + " data.on_bad_file: skip to leave such files out", bad.err().strip());
        assertFalse(Files.exists(dir.resolve("latin")));
    }

    @Test
    void skipLeavesTheBadFileOutAndSaysSo() {
        List<String> args = new ArrayList<>(train("skip", "--set", "data.path=" + texts, "--set", "data.on_bad_file=skip"));
        args.remove("-q");
        Outcome trained = run(args);
        assertEquals(0, trained.code(), trained.err());
        assertTrue((trained.out() + trained.err()).contains("data.path: skipped 1 file (data.on_bad_file: skip): " + latin
                + " (not UTF-8 text: bad byte sequence at byte offset 3)"), trained.out() + trained.err());
        assertFalse(vocabulary("skip").contains("\u00e9"));
    }

    @Test
    void dataEncodingReadsLatin1() {
        Outcome trained = run(train("encoded", "--set", "data.path=" + latin, "--set", "data.encoding=ISO-8859-1"));
        assertEquals(0, trained.code(), trained.err());
        assertTrue(vocabulary("encoded").contains("\u00e9"), vocabulary("encoded"));
    }

    @Test
    void preparedShardsListTheSkippedFileInMetaJson() throws IOException {
        Path cache = dir.resolve("shards");
        Outcome prepared = run("prepare", "../configs/shakespeare-gpt2.yaml", "--set", "data.path=" + texts, "--set",
                "data.cache=" + cache, "--set", "data.on_bad_file=skip");
        assertEquals(0, prepared.code(), prepared.err());
        assertTrue((prepared.out() + prepared.err()).contains("data.path: skipped 1 file"), prepared.out() + prepared.err());
        try (var folders = Files.list(cache)) {
            Path meta = folders.filter(Files::isDirectory).findFirst().orElseThrow().resolve("meta.json");
            JsonNode root = new ObjectMapper().readTree(meta.toFile());
            assertEquals(latin.toString(), root.path("skipped").path(0).path("path").asText(), root.toString());
            assertEquals("not UTF-8 text: bad byte sequence at byte offset 3",
                    root.path("skipped").path(0).path("reason").asText());
            assertEquals("UTF-8", root.path("settings").path("encoding").asText());
            assertEquals(2, root.path("sources").path("train").size(), "a.txt and b.jsonl");
        }
    }

    @Test
    void badValuesAreOneNamedLine() {
        for (var setting : List.of("data.encoding=klingon", "data.encoding=UTF-16", "data.on_bad_file=maybe")) {
            Outcome bad = run(train("bad", "--set", setting));
            assertEquals(2, bad.code(), bad.err());
            assertEquals(1, bad.err().lines().count(), bad.err());
            String key = setting.substring(0, setting.indexOf('='));
            assertTrue(bad.err().startsWith("error: ") && bad.err().contains(key), bad.err());
        }
    }
}
