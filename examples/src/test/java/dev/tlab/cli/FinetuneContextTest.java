package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.tlab.checkpoint.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fine-tune may train at a shorter context than its checkpoint's: learned positions keep their
 * first rows. A longer one is refused in one line naming both contexts.
 */
class FinetuneContextTest {

    /** A GPT-2 folder with 32 positions, 2 layers, d_model 16. */
    private static final Path FIXTURE = Path.of("../training/src/test/resources/gpt2-hf");
    private static final String CONFIG = "../configs/finetune-gpt2-shakespeare.yaml";

    @TempDir Path dir;

    private List<String> finetune(int context, String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("finetune", CONFIG, "--from", FIXTURE.toString(),
                "--set", "model.layers=2", "--set", "model.heads=2", "--set", "model.d_model=16",
                "--set", "model.context=" + context, "--set", "train.steps=2", "--set", "train.grad_accum=1",
                "--set", "train.eval_every=2", "--set", "train.eval_batches=1", "--set", "train.device=cpu",
                "--set", "sample.tokens=0", "--set", "data.cache=" + dir.resolve("shards"),
                "--set", "output.dir=" + dir, "--set", "name=" + name));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void aShorterContextKeepsTheFirstPositionRows() {
        Outcome tuned = Outcome.run(finetune(16, "short", "--set", "finetune.freeze=[\"wpe.*\"]"));
        assertEquals(0, tuned.code(), tuned.err());
        assertTrue((tuned.out() + tuned.err()).contains("model.context: 32 -> 16: the learned position table keeps its first 16 rows"),
                tuned.err());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray original = SafeTensors.read(FIXTURE.resolve("model.safetensors"), manager).get("wpe.weight");
            NDArray tunedTable = SafeTensors.read(dir.resolve("short/checkpoints/step-000002/model.safetensors"), manager)
                    .get("wpe.weight");
            assertEquals(32, original.getShape().get(0));
            assertEquals(16, tunedTable.getShape().get(0));
            assertArrayEquals(original.get(new NDIndex(":16")).toFloatArray(), tunedTable.toFloatArray());
        }
    }

    @Test
    void aLongerContextIsOneLineNamingBoth() {
        Outcome bad = Outcome.run(finetune(64, "long", "-q"));
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertTrue(bad.err().startsWith("error: cannot fine-tune from "), bad.err());
        assertTrue(bad.err().contains("model.context: 64 is longer than the checkpoint's 32; a fine-tune can shorten"
                + " the context, not lengthen it (set model.context <= 32)"), bad.err());
        assertFalse(Files.exists(dir.resolve("long/checkpoints")), "nothing trained");
    }
}
