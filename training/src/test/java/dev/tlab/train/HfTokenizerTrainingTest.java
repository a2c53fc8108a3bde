package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.inference.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * data.tokenizer: hf end to end: a tokenizer.json that Hugging Face's tokenizers trained
 * (scripts/hf-fixture), through preparation, training, evaluation, checkpoint and sampling.
 */
class HfTokenizerTrainingTest {

    private static final Path FIXTURE = Path.of("src/test/resources/tokenize/hf-trained");

    @TempDir Path dir;

    @Test
    void aRunOnAHuggingFaceTokenizerTrainsAndKeepsItsIds() throws Exception {
        Path corpus = Files.writeString(dir.resolve("part.txt"),
                Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt")).substring(0, 60_000));
        var config = ConfigLoader.parse("{}", "test.yaml", dir, "t", List.of("name=hf", "output.dir=" + dir,
                "data.path=" + corpus, "data.tokenizer=hf", "data.tokenizer_file=" + FIXTURE.resolve("tokenizer.json").toAbsolutePath(),
                "data.cache=" + dir.resolve("cache"), "model.layers=1", "model.d_model=32", "model.heads=2",
                "model.context=32", "train.steps=40", "train.batch_size=8", "train.lr=3e-3", "train.warmup=4",
                "train.eval_every=40", "train.eval_batches=4", "sample.tokens=8", "train.device=cpu"));
        Trainer.Result result = new Trainer(config, null, false).fit();
        JsonNode cases = new ObjectMapper().readTree(FIXTURE.resolve("ids.json").toFile()).get("cases");
        try (TrainedModel trained = TrainedModel.load(result.runDir(), Device.cpu())) {
            assertEquals(600, trained.tokenizer().vocabSize());
            // The checkpoint's tokenizer is the Hugging Face one: the ids Python's tokenizers gave.
            for (JsonNode c : cases) {
                int[] ids = trained.tokenizer().encode(c.get("text").asText());
                assertEquals(c.get("ids").toString(), Arrays.toString(ids).replace(" ", ""), c.get("text").asText());
            }
        }
        // Uniform guessing over 600 tokens is ln 600 = 6.40 nats; 40 steps learn the common tokens (5.41 measured).
        assertTrue(result.valLoss() < Math.log(600) - 0.75, "val loss " + result.valLoss());
        String metrics = Files.readString(result.runDir().resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"val_bpb\""), metrics);
        assertTrue(Files.exists(result.runDir().resolve("checkpoints/best/tokenizer.json")));
    }
}
