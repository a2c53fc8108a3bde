package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import ai.djl.Device;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.inference.TrainedModel;
import dev.tlab.models.ModelType;
import dev.tlab.sample.TokenPicker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The encoder and encoder-decoder tasks, end to end through the trainer. */
class TasksTest {

    @TempDir Path dir;

    private RunConfig config(String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "train.device=cpu", "model.layers=2",
                "model.d_model=32", "model.heads=4", "model.context=16", "train.batch_size=16", "train.warmup=5",
                "train.lr=3e-3", "train.eval_batches=2", "sample.tokens=0"));
        all.addAll(List.of(overrides));
        return ConfigLoader.parse("{}", "test.yaml", Path.of("../configs").toAbsolutePath(), "t", all);
    }

    @Test
    void encoderDecoderLearnsToReverseAndReportsExactMatch() throws Exception {
        Trainer.Result result = new Trainer(config("name=rev", "data.task=reverse",
                "data.min_length=2", "data.max_length=3", "train.steps=150", "train.eval_every=150"), null, false).fit();
        double exact = result.evalMetrics().get("exact_match");
        // Uniform guessing over 26 letters gets ~0; 150 tiny steps learn a good share of 2-3 letter reversals.
        assertTrue(exact > 0.2, "exact match " + exact);
        assertTrue(result.valLoss() < 1.5, "val loss " + result.valLoss());
        String last = Files.readAllLines(result.runDir().resolve("metrics.jsonl")).get(
                Files.readAllLines(result.runDir().resolve("metrics.jsonl")).size() - 1);
        assertEquals(exact, new ObjectMapper().readTree(last).get("exact_match").asDouble(), 1e-12);
        assertTrue(Files.readString(result.runDir().resolve("samples.txt")).contains(" -> "));

        // tlab sample's path: the checkpoint, reloaded, answers each held-out source as the run did.
        int checked = 0;
        try (TrainedModel trained = TrainedModel.load(result.runDir(), Device.cpu())) {
            assertTrue(trained.isEncoderDecoder());
            for (String line : Files.readAllLines(result.runDir().resolve("samples.txt"))) {
                if (line.startsWith("=== sampled")) {
                    break;
                }
                if (line.contains(" -> ")) {
                    String source = line.substring(0, line.indexOf(" -> "));
                    String answer = line.substring(line.indexOf(" -> ") + 4).replaceAll("  \\(.*\\)$", "");
                    assertEquals(answer, trained.answer(source, TokenPicker.greedy(), 8, true), source);
                    assertEquals(answer, trained.answer(source, TokenPicker.greedy(), 8, false), source + " uncached");
                    checked++;
                }
            }
            var bad = assertThrows(ConfigException.class, () -> trained.answer("aB", TokenPicker.greedy(), 8, true));
            assertTrue(bad.getMessage().startsWith("--prompt: character 'B' (U+0042) at index 1"), bad.getMessage());
            assertThrows(IllegalStateException.class, trained::sampler);
        }
        assertEquals(8, checked);
    }

    @Test
    void encoderLearnsMaskedCharacters() {
        Trainer.Result result = new Trainer(config("name=mlm", "data.task=mlm",
                "train.steps=200", "train.eval_every=200"), null, false).fit();
        // Character frequencies alone give the unigram entropy of the corpus, 3.31 nats; below it,
        // the encoder is reading the context on both sides of the mask.
        assertTrue(result.valLoss() < 3.28, "val loss " + result.valLoss());
    }

    @Test
    void theTaskDecidesTheModelType() {
        assertEquals(ModelType.DECODER, config("data.task=lm").model().type());
        assertEquals(ModelType.ENCODER, config("data.task=mlm").model().type());
        assertEquals(ModelType.ENCODER_DECODER, config("data.task=reverse").model().type());
    }

    @Test
    void anOldModelTypeIsAcceptedWhenItAgreesWithTheTask() {
        RunConfig run = config("model.type=encoder_decoder", "data.task=reverse");
        assertEquals(ModelType.ENCODER_DECODER, run.model().type());
        assertTrue(run.tree().path("model").path("type").isMissingNode(), "dropped from the resolved config");
    }

    @Test
    void anOldModelTypeThatDisagreesWithTheTaskNamesBothKeys() {
        var e = assertThrows(ConfigException.class, () -> config("model.type=decoder", "data.task=reverse"));
        assertEquals("model.type = decoder disagrees with data.task = reverse, which trains encoder_decoder models;"
                + " the model type follows data.task, so remove model.type", e.getMessage());
    }

    @Test
    void contextMustHoldTheLongestProblem() {
        var e = assertThrows(ConfigException.class,
                () -> config("data.task=add", "data.max_length=8"));
        assertTrue(e.getMessage().contains("model.context (16)") && e.getMessage().contains("data.max_length"), e.getMessage());
    }

    @Test
    void ropeWithAnOddHeadWidthIsRejectedAtLoad() {
        var e = assertThrows(ConfigException.class,
                () -> config("model.positional=rope", "model.d_model=36", "model.heads=4"));
        assertTrue(e.getMessage().contains("model.positional = rope") && e.getMessage().contains("model.heads"), e.getMessage());
    }
}
