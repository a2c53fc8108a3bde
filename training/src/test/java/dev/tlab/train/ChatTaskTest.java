package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.attention.Masks;
import dev.tlab.chat.ChatWindows;
import dev.tlab.config.ChatOptions.Overlong;
import dev.tlab.config.ChatOptions.Packing;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.positional.PositionalKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packed chat examples never see one another, and a chat run trains end to end. */
class ChatTaskTest {

    @TempDir Path dir;

    private static ChatWindows.Example example(int... tokens) {
        boolean[] answer = new boolean[tokens.length];
        java.util.Arrays.fill(answer, 1, tokens.length, true);
        return new ChatWindows.Example(tokens, answer, tokens.length - 1);
    }

    /** Logits {@code [T, V]} of window 0, with the block mask or without. */
    private static float[][] logits(DecoderLM model, NDManager manager, ChatWindows windows, boolean masked) {
        int context = windows.context();
        try (NDManager step = manager.newSubManager()) {
            NDArray tokens = step.create(windows.inputs(0), new Shape(1, context));
            NDArray mask = masked ? step.create(windows.attentionMask(0, Masks.BLOCKED), new Shape(1, 1, context, context)) : null;
            NDArray out = model.forward(new ParameterStore(manager, false), tokens, mask, null, false);
            float[] flat = out.toFloatArray();
            int vocab = (int) out.getShape().get(2);
            float[][] rows = new float[context][vocab];
            for (int t = 0; t < context; t++) {
                System.arraycopy(flat, t * vocab, rows[t], 0, vocab);
            }
            return rows;
        }
    }

    private static double maxDifference(float[][] a, float[][] b, int from, int to) {
        double max = 0;
        for (int t = from; t < to; t++) {
            for (int v = 0; v < a[t].length; v++) {
                max = Math.max(max, Math.abs(a[t][v] - b[t][v]));
            }
        }
        return max;
    }

    @Test
    void packedExamplesNeverAttendToOneAnother() {
        for (PositionalKind scheme : List.of(PositionalKind.LEARNED, PositionalKind.ROPE, PositionalKind.ALIBI)) {
            Engine.getInstance().setRandomSeed(5);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                ModelConfig config = ModelConfig.builder().vocabSize(11).layers(2).heads(2).dModel(16).context(12)
                        .positional(scheme).build();
                DecoderLM model = DecoderLM.create(config, manager);
                // Example A fills positions 0-3, B 4-8, C 9-10; one position of padding.
                int[] b = {7, 8, 9, 10, 1, 2};
                ChatWindows before = ChatWindows.of(List.of(example(1, 2, 3, 4, 5), example(b), example(3, 3, 3)), 12,
                        Packing.PACK, Overlong.DROP);
                ChatWindows changed = ChatWindows.of(List.of(example(1, 6, 3, 4, 5), example(b), example(3, 3, 4)), 12,
                        Packing.PACK, Overlong.DROP);
                assertEquals(1, before.windows());
                float[][] masked = logits(model, manager, before, true);
                float[][] maskedChanged = logits(model, manager, changed, true);
                assertEquals(0.0, maxDifference(masked, maskedChanged, 4, 9), scheme + ": B moved when A changed");
                assertTrue(maxDifference(masked, maskedChanged, 1, 4) > 1e-4, scheme + ": A's own logits follow its change");
                // The check can fail: without the mask, B does see A.
                assertTrue(maxDifference(logits(model, manager, before, false), logits(model, manager, changed, false), 4, 9) > 1e-4,
                        scheme.toString());
            }
        }
    }

    @Test
    void aTinyChatRunLearnsItsAnswers() throws Exception {
        String[] words = {"apple", "pear", "plum", "fig", "lime", "date", "kiwi", "yuzu"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String word = words[i % words.length];
            lines.add(switch (i % 3) {
                case 0 -> "{\"messages\": [{\"role\": \"user\", \"content\": \"Say " + word + "\"}, {\"role\": \"assistant\", \"content\": \"" + word + "!\"}]}";
                case 1 -> "{\"prompt\": \"Say " + word + "\", \"completion\": \"" + word + "!\"}";
                default -> "{\"instruction\": \"Say\", \"input\": \"" + word + "\", \"output\": \"" + word + "!\"}";
            });
        }
        Path data = Files.write(dir.resolve("say.jsonl"), lines);
        RunConfig run = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), List.of("output.dir=" + dir,
                "train.device=cpu", "data.format=chat", "data.path=" + data, "model.layers=1", "model.d_model=32",
                "model.heads=2", "model.context=64", "train.batch_size=4", "train.steps=60", "train.warmup=5",
                "train.lr=5e-3", "train.eval_every=20", "train.eval_batches=2", "sample.tokens=0"));
        Trainer.Result result = new Trainer(run, null, false).fit();
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(result.runDir().resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("val_loss")) {
                evals.add(row);
            }
        }
        assertTrue(evals.size() >= 2, evals.toString());
        double first = evals.get(0).get("val_loss").asDouble();
        double last = evals.get(evals.size() - 1).get("val_loss").asDouble();
        // The answer repeats a word of the prompt; the rest of an answer is "!<|im_end|>\n".
        assertTrue(last < first - 0.5, "answer-token val loss " + first + " -> " + last);
        assertTrue(evals.get(evals.size() - 1).has("val_bpb"), evals.toString());
    }
}
