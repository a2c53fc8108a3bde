package dev.tlab.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.config.ChatOptions.LossOn;
import dev.tlab.config.ChatOptions.Overlong;
import dev.tlab.config.ChatOptions.Packing;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat examples read, rendered, tokenized and laid out in windows: the loss falls on the answers alone. */
class ChatDataTest {

    private static final String LINES = """
            {"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Who says 'Nay'?"}, {"role": "assistant", "content": "ELIZABETH"}, {"role": "user", "content": "And next?"}, {"role": "assistant", "content": "Mr. Darcy bows."}]}
            {"prompt": "What comes after 'To be'?", "completion": "or not to be"}

            {"instruction": "Name the speaker.", "input": "My lord, I go.", "output": "HAMLET"}
            {"instruction": "Say hello.", "output": "Hello!"}
            """;

    private static List<List<ChatTemplate.Message>> examples(Path dir) throws IOException {
        Path file = dir.resolve("chat.jsonl");
        Files.writeString(file, LINES);
        return ChatExamples.read(file);
    }

    private static ChatTemplate.Message m(String role, String content) {
        return new ChatTemplate.Message(role, content);
    }

    @Test
    void theThreeShapesBecomeConversations(@TempDir Path dir) throws IOException {
        var examples = examples(dir);
        assertEquals(4, examples.size());
        assertEquals(5, examples.get(0).size());
        assertEquals(List.of(m("user", "What comes after 'To be'?"), m("assistant", "or not to be")), examples.get(1));
        assertEquals(List.of(m("user", "Name the speaker.\n\nMy lord, I go."), m("assistant", "HAMLET")), examples.get(2));
        assertEquals(List.of(m("user", "Say hello."), m("assistant", "Hello!")), examples.get(3));
    }

    @Test
    void aBadRecordIsNamedByFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\": \"p\", \"completion\": \"c\"}\n{\"text\": \"plain\"}\n");
        var e = assertThrows(ConfigException.class, () -> ChatExamples.read(file));
        assertTrue(e.getMessage().startsWith(file + ":2: not an example"), e.getMessage());
        Files.writeString(file, "{\"messages\": [{\"role\": \"user\", \"content\": 3}]}\n");
        e = assertThrows(ConfigException.class, () -> ChatExamples.read(file));
        assertTrue(e.getMessage().contains(":1: messages[0].content must be a string"), e.getMessage());
    }

    /** The answers' text, per example: each assistant turn and what ends it, as the template writes them. */
    private static List<String> expectedAnswers(List<List<ChatTemplate.Message>> examples, String endOfTurn) {
        List<String> answers = new ArrayList<>();
        for (var conversation : examples) {
            StringBuilder text = new StringBuilder();
            for (var message : conversation) {
                if (message.role().equals("assistant")) {
                    text.append(message.content()).append(endOfTurn);
                }
            }
            answers.add(text.toString());
        }
        return answers;
    }

    /** The text of the targets with weight 1, per example, read back from the windows. */
    private static List<String> weightedTargets(ChatWindows windows, Tokenizer tokenizer) {
        List<List<Integer>> ids = new ArrayList<>();
        for (int w = 0; w < windows.windows(); w++) {
            long[] targets = windows.targets(w);
            float[] weights = windows.weights(w);
            int[] segments = windows.segments(w);
            for (int t = 0; t < targets.length; t++) {
                if (segments[t] == ChatWindows.PADDING) {
                    assertEquals(0f, weights[t], "padding carries no loss");
                    continue;
                }
                while (ids.size() <= segments[t]) {
                    ids.add(new ArrayList<>());
                }
                if (weights[t] == 1f) {
                    ids.get(segments[t]).add((int) targets[t]);
                } else {
                    assertEquals(0f, weights[t]);
                }
            }
        }
        List<String> texts = new ArrayList<>();
        for (var example : ids) {
            texts.add(tokenizer.decode(example.stream().mapToInt(Integer::intValue).toArray()));
        }
        return texts;
    }

    @Test
    void theLossMaskCoversExactlyTheAnswerTokensChatMlChars(@TempDir Path dir) throws IOException {
        var examples = examples(dir);
        ChatTemplate template = ChatTemplate.defaultTemplate();
        List<List<ChatSpans.Span>> spans = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        for (var example : examples) {
            var s = ChatSpans.of(template, example, LossOn.ANSWERS, "t");
            s.forEach(span -> all.append(span.text()));
            spans.add(s);
            assertEquals(template.render(example, false), String.join("", s.stream().map(ChatSpans.Span::text).toList()));
        }
        CharTokenizer tokenizer = CharTokenizer.fit(all.toString());
        for (Packing packing : Packing.values()) {
            ChatWindows windows = ChatWindows.of(ChatDataset.encode(spans, tokenizer), 256, packing, Overlong.DROP);
            assertEquals(expectedAnswers(examples, "<|im_end|>\n"), weightedTargets(windows, tokenizer), packing.toString());
            assertTrue(packing == Packing.PACK ? windows.windows() < 4 : windows.windows() == 4, packing.toString());
            long answerBytes = expectedAnswers(examples, "<|im_end|>\n").stream()
                    .mapToLong(a -> a.getBytes(StandardCharsets.UTF_8).length).sum();
            assertEquals(answerBytes, windows.answerBytes());
        }
    }

    @Test
    void theLossMaskCoversExactlyTheAnswerTokensLlama3Gpt2() throws IOException {
        String source;
        try (InputStream in = ChatDataTest.class.getResourceAsStream("templates/llama3.jinja")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        var template = new ChatTemplate(source, "llama3", Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
        var examples = List.of(
                List.of(m("system", "Be terse."), m("user", "Who speaks first?"), m("assistant", "BERNARDO"),
                        m("user", "Then?"), m("assistant", "FRANCISCO, and then the ghost.")),
                List.of(m("user", "Hi"), m("assistant", " padded answer  ")));
        List<List<ChatSpans.Span>> spans = examples.stream().map(e -> ChatSpans.of(template, e, LossOn.ANSWERS, "t")).toList();
        Tokenizer gpt2 = Gpt2Tokenizer.get();
        ChatWindows windows = ChatWindows.of(ChatDataset.encode(spans, gpt2), 512, Packing.PACK, Overlong.DROP);
        // Llama 3's template trims each message, and its turns end in <|eot_id|>.
        assertEquals(List.of("BERNARDO<|eot_id|>FRANCISCO, and then the ghost.<|eot_id|>", "padded answer<|eot_id|>"),
                weightedTargets(windows, gpt2));
    }

    @Test
    void lossOnAllCountsEveryPredictedToken(@TempDir Path dir) throws IOException {
        var examples = examples(dir);
        ChatTemplate template = ChatTemplate.defaultTemplate();
        var spans = examples.stream().map(e -> ChatSpans.of(template, e, LossOn.ALL, "t")).toList();
        CharTokenizer tokenizer = CharTokenizer.fit(String.join("", spans.stream().map(s -> s.get(0).text()).toList()));
        ChatWindows windows = ChatWindows.of(ChatDataset.encode(spans, tokenizer), 1024, Packing.PACK, Overlong.DROP);
        long predicted = spans.stream().mapToLong(s -> s.get(0).text().length() - 1).sum();
        assertEquals(predicted, windows.answerTokens());
        assertEquals(1, windows.windows());
    }

    @Test
    void overlongExamplesAreTruncatedOrDroppedAndCounted() {
        // Lengths 5, 12, 9 tokens; context 8 holds at most 9 tokens (8 predictions).
        List<ChatWindows.Example> examples = List.of(example(5, 3), example(12, 4), example(9, 5));
        ChatWindows truncated = ChatWindows.of(examples, 8, Packing.PAD, Overlong.TRUNCATE);
        assertEquals(1, truncated.truncated());
        assertEquals(0, truncated.dropped());
        assertEquals(3, truncated.examples());
        ChatWindows dropped = ChatWindows.of(examples, 8, Packing.PAD, Overlong.DROP);
        assertEquals(0, dropped.truncated());
        assertEquals(1, dropped.dropped());
        assertEquals(2, dropped.examples());
        // An example whose answer lies past the cut has nothing left to learn: left out, and counted.
        ChatWindows lateAnswer = ChatWindows.of(List.of(example(12, 10)), 8, Packing.PAD, Overlong.TRUNCATE);
        assertEquals(0, lateAnswer.examples());
        assertEquals(1, lateAnswer.unanswered());
    }

    /** {@code length} tokens, the answer from position {@code answerFrom} on. */
    private static ChatWindows.Example example(int length, int answerFrom) {
        int[] tokens = new int[length];
        boolean[] answer = new boolean[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = i % 5;
            answer[i] = i >= answerFrom;
        }
        return new ChatWindows.Example(tokens, answer, length - answerFrom);
    }

    @Test
    void packingPutsExamplesAfterOneAnotherAndMasksAcrossThem() {
        ChatWindows windows = ChatWindows.of(List.of(example(4, 3), example(5, 3), example(3, 2)), 8, Packing.PACK,
                Overlong.DROP);
        assertEquals(2, windows.windows()); // 3 + 4 positions, then 2 in a second window
        assertEquals(List.of(0, 0, 0, 1, 1, 1, 1, -1), box(windows.segments(0)));
        float[] mask = windows.attentionMask(0, -1f);
        assertEquals(0f, mask[3 * 8 + 3]);
        assertEquals(-1f, mask[3 * 8 + 2], "example 1 does not see example 0");
        assertEquals(0f, mask[6 * 8 + 3]);
        assertEquals(-1f, mask[2 * 8 + 4]);
    }

    private static List<Integer> box(int[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    @Test
    void aTemplateThatRewritesEarlierTurnsIsRefusedForAnswersOnly() {
        // Puts the system prompt in the last user turn (as some Mistral templates do): earlier renderings are no prefix.
        var template = new ChatTemplate("{% for m in messages %}{% if m.role == 'user' %}[{% if loop.last or"
                + " loop.index0 == messages|length - 2 %}S {% endif %}{{ m.content }}]{% elif m.role == 'assistant' %}"
                + "{{ m.content }}</s>{% endif %}{% endfor %}", "rewrite.jinja", Map.of());
        var conversation = List.of(m("user", "a"), m("assistant", "b"), m("user", "c"), m("assistant", "d"));
        var e = assertThrows(ConfigException.class, () -> ChatSpans.of(template, conversation, LossOn.ANSWERS, "x.jsonl example 3"));
        assertTrue(e.getMessage().startsWith("x.jsonl example 3: the chat template (rewrite.jinja) does not render"), e.getMessage());
        assertTrue(e.getMessage().contains("data.loss_on: all"), e.getMessage());
        assertEquals(1, ChatSpans.of(template, conversation, LossOn.ALL, "x").size());
    }

    @Test
    void theShippedChatExampleLoads() {
        var run = dev.tlab.config.ConfigLoader.load(Path.of("../configs/chat-full.yaml"), List.of());
        ChatDataset data = ChatDataset.load(run.data(), run.model().context(), null);
        // scripts/make-chat-example.py: 1,841 training and 171 validation examples; a few dozen overrun 257 characters.
        assertEquals(1841, data.train().examples() + data.train().unanswered());
        assertEquals(171, data.val().examples() + data.val().unanswered());
        assertTrue(data.train().truncated() < 150, data.describe());
        assertTrue(data.describe().startsWith("chat (the default (ChatML) template), char tokenizer"), data.describe());
    }

    static final ObjectMapper JSON = new ObjectMapper();
}
