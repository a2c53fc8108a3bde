package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Import, sample, fine-tune and export in four commands, on the tiny GPT-2 fixture. */
class Gpt2CommandsTest {

    private static final Path FIXTURE = Path.of("../training/src/test/resources/gpt2-hf");
    private static final String CONFIG = "../configs/finetune-gpt2-shakespeare.yaml";

    @TempDir Path dir;

    /** The shipped config, shrunk to the fixture's shape and two steps. */
    private List<String> finetune(String from, String name) {
        return List.of("finetune", CONFIG, "--from", from, "-q", "--set", "model.layers=2", "--set", "model.heads=2",
                "--set", "model.d_model=16", "--set", "model.context=32", "--set", "train.steps=2", "--set",
                "train.grad_accum=2", "--set", "train.eval_every=2", "--set", "train.eval_batches=1", "--set",
                "train.device=cpu", "--set", "sample.tokens=0", "--set", "data.cache=" + dir.resolve("shards"), "--set",
                "output.dir=" + dir, "--set", "name=" + name);
    }

    @Test
    void importSampleFinetuneExport() {
        Path run = dir.resolve("gpt2");
        Outcome imported = Outcome.run("import", "gpt2", FIXTURE.toString(), "--out", run.toString());
        assertEquals(0, imported.code(), imported.err());
        assertTrue(imported.err().contains("step-000000"), imported.err());
        // Not a silent wait: what is written, then each tenth of it.
        List<String> said = imported.err().lines().toList();
        assertTrue(said.get(0).matches("importing " + java.util.regex.Pattern.quote(FIXTURE.toString())
                + ": \\d+ tensors, [\\d,]+ parameters \\([\\d,]+ MB as float32\\) into .*step-000000"), said.get(0));
        assertTrue(said.stream().anyMatch(line -> line.matches("\\s+100% of the weights written \\(\\d+ s\\)")), imported.err());

        Outcome sampled = Outcome.run("sample", run.toString(), "--prompt", "Hello", "--tokens", "5", "--temperature", "0",
                "--device", "cpu");
        assertEquals(0, sampled.code(), sampled.err());
        assertTrue(sampled.out().startsWith("Hello"), sampled.out());

        Outcome tuned = Outcome.run(finetune(run.toString(), "tuned"));
        assertEquals(0, tuned.code(), tuned.err());
        assertTrue(Files.isRegularFile(dir.resolve("tuned/done.json")));

        Outcome exported = Outcome.run("export", dir.resolve("tuned").toString(), "--format", "hf", dir.resolve("hf").toString());
        assertEquals(0, exported.code(), exported.err());
        assertTrue(Files.isRegularFile(dir.resolve("hf/config.json")) && Files.isRegularFile(dir.resolve("hf/model.safetensors")));
        assertTrue(exported.err().contains("GPT2TokenizerFast"), exported.err());
    }

    @Test
    void finetuneReadsAHuggingFaceFolderInPlace() {
        Outcome tuned = Outcome.run(finetune(FIXTURE.toString(), "direct"));
        assertEquals(0, tuned.code(), tuned.err());
        assertTrue(Files.isRegularFile(dir.resolve("direct/checkpoints/step-000002/state.json")));
    }

    @Test
    void badRequestsAreOneNamedLine() {
        for (var args : List.of(
                List.of("import", "llama", FIXTURE.toString(), "--out", dir.resolve("x").toString()),
                List.of("export", FIXTURE.toString(), "--format", "onnx", dir.resolve("y").toString()),
                List.of("import", "gpt2", dir.resolve("missing").toString(), "--out", dir.resolve("z").toString()))) {
            Outcome bad = Outcome.run(args);
            assertEquals(2, bad.code(), bad.err());
            assertEquals(1, bad.err().lines().count(), bad.err());
        }
        assertTrue(Outcome.run("import", "llama", FIXTURE.toString(), "--out", "x").err().contains("FORMAT"));
        assertTrue(Outcome.run("export", "RUN", "--format", "onnx", "y").err().contains("--format"));
    }
}
