package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Llama-family folder imported, sampled, fine-tuned and exported in four commands, as docs/HF.md shows. */
class HfCommandsTest {

    private static final Path FIXTURE = Path.of("../training/src/test/resources/hf-models/llama-tied");

    @TempDir Path dir;

    @Test
    void importSampleFinetuneExport() throws Exception {
        Path run = dir.resolve("runs/smollm2");
        Outcome imported = Outcome.run("import", "hf", FIXTURE.toString(), "--out", run.toString());
        assertEquals(0, imported.code(), imported.err());
        assertTrue(imported.err().contains("step-000000"), imported.err());

        Outcome sampled = Outcome.run("sample", run.toString(), "--prompt", "ROMEO:", "--tokens", "5", "--temperature", "0",
                "--device", "cpu");
        assertEquals(0, sampled.code(), sampled.err());
        assertTrue(sampled.out().startsWith("ROMEO:"), sampled.out());

        // The shipped fine-tune config, beside the import as the docs lay them out, shrunk to two steps.
        Path config = Files.createDirectories(dir.resolve("configs/hf")).resolve("ft.yaml");
        Files.copy(Path.of("../configs/hf/finetune-llama-shakespeare.yaml"), config);
        Outcome tuned = Outcome.run("finetune", config.toString(), "--from", run.toString(), "-q", "--set", "model.context=32",
                "--set", "train.steps=2", "--set", "train.batch_size=2", "--set", "train.grad_accum=1", "--set",
                "train.eval_every=2", "--set", "train.eval_batches=1", "--set", "train.device=cpu", "--set", "sample.tokens=0",
                "--set", "data.path=" + Path.of("../examples/data/tinyshakespeare/input.txt").toAbsolutePath(), "--set",
                "data.cache=" + dir.resolve("shards"), "--set", "output.dir=" + dir.resolve("runs"));
        assertEquals(0, tuned.code(), tuned.err());
        assertTrue(Files.isRegularFile(dir.resolve("runs/smollm2-shakespeare/done.json")));

        Outcome exported = Outcome.run("export", dir.resolve("runs/smollm2-shakespeare").toString(), "--format", "hf",
                dir.resolve("hf").toString());
        assertEquals(0, exported.code(), exported.err());
        assertTrue(exported.err().contains("as Llama"), exported.err());
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "generation_config.json")) {
            assertTrue(Files.isRegularFile(dir.resolve("hf").resolve(file)), file);
        }
    }

    @Test
    void badRequestsAreOneNamedLine() {
        Outcome gpt2 = Outcome.run("import", "gpt2", FIXTURE.toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, gpt2.code(), gpt2.err());
        assertEquals(1, gpt2.err().lines().count(), gpt2.err());
        assertTrue(gpt2.err().contains("tlab import hf"), gpt2.err());
        Outcome format = Outcome.run("import", "onnx", FIXTURE.toString(), "--out", dir.resolve("y").toString());
        assertEquals(2, format.code(), format.err());
        assertTrue(format.err().contains("hf (gpt2, llama, mistral, qwen2, qwen3)"), format.err());
    }
}
