package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/DATA.md's two commands (prepare, train) on a folder of one's own text, and the named errors of preparing. */
class PrepareCommandTest {

    private static final String CONFIG = "../configs/shakespeare-gpt2.yaml";

    @TempDir Path dir;

    private List<String> command(String verb, Path texts, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, CONFIG, "--set", "data.path=" + texts,
                "--set", "data.cache=" + dir.resolve("tokens"), "--set", "output.dir=" + dir.resolve("runs")));
        args.addAll(List.of(extra));
        return args;
    }

    private Path folder() throws IOException {
        Path texts = Files.createDirectories(dir.resolve("my-texts/part"));
        String shakespeare = Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt"));
        Files.writeString(texts.resolve("one.txt"), shakespeare.substring(0, 20_000));
        Files.writeString(texts.getParent().resolve("two.txt"), shakespeare.substring(20_000, 40_000));
        return texts.getParent();
    }

    @Test
    void aFolderOfTextPreparesWithGpt2AndTrains() throws IOException {
        Path texts = folder();
        Outcome prepared = run(command("prepare", texts));
        assertEquals(0, prepared.code(), prepared.err());
        assertTrue(prepared.out().contains("tokenizer gpt2, 50,257 tokens"), prepared.out());
        assertTrue(Files.isRegularFile(dir.resolve("tokens/my-texts.gpt2/meta.json")));
        Outcome trained = run(command("train", texts, "--set", "train.steps=4", "--set", "train.eval_every=2",
                "--set", "train.eval_batches=1", "--set", "model.layers=1", "--set", "model.d_model=16",
                "--set", "model.heads=2", "--set", "model.context=16", "--set", "sample.tokens=5",
                "--set", "train.device=cpu", "--set", "name=my-texts"));
        assertEquals(0, trained.code(), trained.err());
        assertTrue(trained.err().contains("reusing ") && trained.err().contains("unchanged"), trained.err());
        assertTrue(trained.err().contains("val_bpb: "), trained.err());
        Outcome again = run(command("prepare", texts));
        assertTrue(again.err().contains("reusing "), again.err());
    }

    @Test
    void badDataIsOneNamedLine() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path jsonl = dir.resolve("docs.jsonl");
        Files.writeString(jsonl, "{\"text\": \"hello\"}\n{\"body\": \"no text field\"}\n");
        Path broken = dir.resolve("tokenizer.json");
        Files.writeString(broken, "{\"model\": ");
        for (var bad : List.of(
                new Object[] {command("prepare", empty), "error: data.path: "},
                // Found while preparing; -q leaves out the progress lines before it.
                new Object[] {command("prepare", jsonl, "-q"), "error: data.text_field: "},
                new Object[] {command("prepare", folder(), "--set", "data.tokenizer=bpe", "--set", "data.vocab_size=100"),
                    "error: data.vocab_size must be >= 257"},
                new Object[] {command("prepare", folder(), "--set", "data.tokenizer=hf", "--set", "data.tokenizer_file=" + broken),
                    "error: "},
                new Object[] {List.of("prepare", "../configs/shakespeare-char.yaml"), "error: data.tokenizer = char needs no preparing"})) {
            @SuppressWarnings("unchecked")
            Outcome outcome = run((List<String>) bad[0]);
            assertEquals(2, outcome.code(), outcome.err());
            assertEquals(1, outcome.err().lines().count(), "one line:\n" + outcome.err());
            assertTrue(outcome.err().startsWith((String) bad[1]), outcome.err());
        }
    }
}
