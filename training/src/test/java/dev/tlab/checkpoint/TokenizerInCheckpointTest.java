package dev.tlab.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.inference.TrainedModel;
import dev.tlab.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer travels with the checkpoint, in a form any JSON reader maps one entry to one row. */
class TokenizerInCheckpointTest {

    @TempDir Path dir;

    @Test
    void anEmojiCorpusStoresOneVocabularyEntryPerTableRow() throws IOException {
        Path corpus = dir.resolve("emoji.txt");
        Files.writeString(corpus, "the \uD83D\uDC07 runs, the \uD83D\uDC22 walks.\r\n".repeat(40));
        var run = ResumeTest.tiny(dir, "emoji", "data.path=" + corpus, "checkpoint.every=12", "model.dropout=0");
        var result = new Trainer(run, null, false).fit();
        Path checkpoint = result.runDir().resolve("checkpoints/step-000012");
        JsonNode state = new ObjectMapper().readTree(checkpoint.resolve(CheckpointDirectory.STATE_FILE).toFile());
        JsonNode vocabulary = state.get("vocabulary");
        assertTrue(vocabulary.isArray(), state.toString());
        assertFalse(state.has("vocab"), "the old UTF-16 string is no longer written");
        long rows = SafeTensors.header(checkpoint.resolve(CheckpointDirectory.MODEL_FILE)).entries().stream()
                .filter(e -> e.name().equals("wte.weight")).findFirst().orElseThrow().shape()[0];
        assertEquals(rows, vocabulary.size());
        assertEquals(rows, state.get("tokenizer").get("vocabSize").asInt());
        assertEquals("char", state.get("tokenizer").get("kind").asText());
        boolean rabbit = false;
        for (JsonNode symbol : vocabulary) {
            rabbit |= symbol.asInt() == 0x1F407;
            assertFalse(Character.isSurrogate((char) symbol.asInt()) && symbol.asInt() <= 0xFFFF, "no UTF-16 halves");
        }
        assertTrue(rabbit, vocabulary.toString());
        try (TrainedModel trained = TrainedModel.load(checkpoint, ai.djl.Device.cpu(), note -> {})) {
            String text = trained.sampler().generate("the \uD83D\uDC07", 5, 0, 0, 1);
            assertTrue(text.startsWith("the \uD83D\uDC07"), text);
        }
    }
}
