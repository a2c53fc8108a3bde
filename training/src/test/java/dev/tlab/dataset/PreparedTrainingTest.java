package dev.tlab.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.inference.TrainedModel;
import dev.tlab.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training from prepared shards: the tokenizer travels with the run, and resume stays bit-exact. */
class PreparedTrainingTest {

    private static final Path SHIPPED = Path.of("../configs/shakespeare-char.yaml");
    private static final int STEPS = 8;

    @TempDir static Path shared;
    @TempDir Path dir;

    private static Path corpus;
    private static Path straight;

    /** A directory of two documents, a BPE of 320 tokens, one layer. */
    static RunConfig tiny(Path out, String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + out, "name=" + name, "train.device=cpu",
                "data.path=" + corpus, "data.tokenizer=bpe", "data.vocab_size=320", "data.cache=" + out.resolve("cache"),
                "model.layers=1", "model.d_model=32", "model.heads=2", "model.context=16", "model.dropout=0.1",
                "train.batch_size=4", "train.grad_accum=2", "train.steps=" + STEPS, "train.warmup=2",
                "train.eval_every=4", "train.eval_batches=2", "sample.tokens=0", "checkpoint.every=4", "checkpoint.keep=3"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(SHIPPED, all);
    }

    @BeforeAll
    static void trainStraightThrough() throws IOException {
        corpus = Files.createDirectories(shared.resolve("corpus"));
        String text = Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt"));
        Files.writeString(corpus.resolve("a.txt"), text.substring(0, 30_000));
        Files.writeString(corpus.resolve("b.txt"), "caf\u00e9 \uD83D\uDC07\r\n" + text.substring(30_000, 50_000));
        straight = new Trainer(tiny(shared, "straight"), null, false).fit().runDir();
    }

    @Test
    void theCheckpointCarriesItsTokenizerAndSamplesWithIt() throws IOException {
        Path checkpoint = straight.resolve("checkpoints/step-000008");
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        assertEquals("bpe", state.tokenizer().kind());
        assertEquals(320, state.tokenizer().vocabSize());
        assertTrue(state.files().containsKey("tokenizer.json"), "the manifest covers the tokenizer");
        assertEquals(null, CheckpointDirectory.problem(checkpoint, true));
        try (TrainedModel trained = TrainedModel.load(straight, ai.djl.Device.cpu(), note -> {})) {
            assertEquals(state.tokenizer().fingerprint(), trained.tokenizer().fingerprint());
            String text = trained.sampler().generate("caf\u00e9 \uD83D\uDC07", 6, 0.8, 0, 7);
            assertTrue(text.startsWith("caf\u00e9 \uD83D\uDC07"), text);
        }
        String metrics = Files.readString(straight.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"val_bpb\""), metrics);
    }

    @Test
    void resumingFromShardsIsBitIdenticalToAnUninterruptedRun() throws IOException {
        RunConfig run = tiny(dir, "half");
        assertThrows(IllegalStateException.class, () -> new Trainer(run, null, false).onStep((done, m) -> {
            if (done == 6) {
                throw new IllegalStateException("simulated crash after step 6");
            }
        }).fit());
        Path half = dir.resolve("half");
        new Trainer(run, null, false).from(RunStart.resume(half)).fit();
        for (String file : List.of("model.safetensors", "optimizer.safetensors")) {
            assertEquals(sha256(straight.resolve("checkpoints/step-000008").resolve(file)),
                    sha256(half.resolve("checkpoints/step-000008").resolve(file)), file);
        }
    }

    @Test
    void anotherTokenizerIsRefusedNamingBoth() {
        RunConfig gpt2 = tiny(dir, "other", "data.tokenizer=gpt2", "train.steps=12");
        ConfigException e = assertThrows(ConfigException.class,
                () -> new Trainer(gpt2, null, false).from(RunStart.finetune(straight)).fit());
        assertTrue(e.getMessage().contains("data.tokenizer = gpt2") && e.getMessage().contains("bpe tokenizer"),
                e.getMessage());
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
