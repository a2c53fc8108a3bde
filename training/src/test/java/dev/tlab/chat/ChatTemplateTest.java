package dev.tlab.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat templates rendered as transformers' apply_chat_template renders them (scripts/chat-template-fixtures.py). */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(name)) {
            return JSON.readTree(in);
        }
    }

    private static String text(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<ChatTemplate.Message> messages(JsonNode list) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (JsonNode m : list) {
            messages.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
        }
        return messages;
    }

    @Test
    void everyTemplateRendersAsTransformersDoes() throws IOException {
        JsonNode expected = resource("expected.json");
        Map<String, List<ChatTemplate.Message>> conversations = new HashMap<>();
        for (JsonNode c : resource("conversations.json")) {
            conversations.put(c.get("name").asText(), messages(c.get("messages")));
        }
        int checked = 0;
        int raised = 0;
        List<String> wrong = new ArrayList<>();
        List<String> templates = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            String name = c.get("template").asText();
            if (!templates.contains(name)) {
                templates.add(name);
            }
            Map<String, String> special = JSON.convertValue(expected.get("special_tokens").get(name),
                    JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
            var template = new ChatTemplate(text("templates/" + name + ".jinja"), name, special);
            var conversation = conversations.get(c.get("conversation").asText());
            boolean generation = c.get("add_generation_prompt").asBoolean();
            String label = name + " / " + c.get("conversation").asText() + " / add_generation_prompt=" + generation;
            String got;
            try {
                got = template.render(conversation, generation);
            } catch (ConfigException e) {
                got = e.getMessage();
            }
            if (c.has("error")) {
                if (!(got.contains("raised an exception") && got.contains(c.get("error").asText()))) {
                    wrong.add(label + ": expected the exception '" + c.get("error").asText() + "', got:\n" + got);
                }
                raised++;
            } else if (!c.get("output").asText().equals(got)) {
                wrong.add(label + ": expected\n" + c.get("output").asText() + "\n--- got\n" + got);
            }
            checked++;
        }
        assertEquals(List.of(), wrong, wrong.size() + " of " + checked + " differ:\n" + String.join("\n\n", wrong));
        assertEquals(List.of("features", "gemma", "llama3", "mistral", "qwen-chatml", "zephyr"), templates);
        assertEquals(60, checked);
        assertTrue(raised >= 2, "the fixtures include templates that raise");
    }

    @Test
    void strftimeNowFormatsAsPython() throws IOException {
        JsonNode expected = resource("strftime.json");
        Clock before = ChatTemplate.clock;
        ChatTemplate.clock = Clock.fixed(LocalDateTime.parse(expected.get("time").asText()).toInstant(ZoneOffset.UTC),
                ZoneOffset.UTC);
        try {
            var formats = expected.get("formats").fields();
            while (formats.hasNext()) {
                var format = formats.next();
                String source = "{{ strftime_now('" + format.getKey() + "') }}";
                assertEquals(format.getValue().asText(),
                        new ChatTemplate(source, "t", Map.of()).render(List.of(), false));
            }
        } finally {
            ChatTemplate.clock = before;
        }
    }

    @Test
    void aConstructThatCannotBeRenderedIsNamedInOneLine() {
        var template = new ChatTemplate("{% for m in messages %}{{ m.content.zfill(3) }}{% endfor %}", "t.jinja", Map.of());
        var e = assertThrows(ConfigException.class,
                () -> template.render(List.of(new ChatTemplate.Message("user", "7")), false));
        assertTrue(e.getMessage().startsWith("chat template (t.jinja) cannot be rendered here: line 1:"), e.getMessage());
        assertTrue(e.getMessage().contains("zfill"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());

        var unknownTag = new ChatTemplate("{% frobnicate %}x", "u.jinja", Map.of());
        var tag = assertThrows(ConfigException.class, () -> unknownTag.render(List.of(), false));
        assertTrue(tag.getMessage().contains("frobnicate"), tag.getMessage());
    }

    @Test
    void theDefaultIsChatMl() {
        var template = ChatTemplate.defaultTemplate();
        String text = template.render(List.of(new ChatTemplate.Message("system", "S"), new ChatTemplate.Message("user", "Q")),
                true);
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", text);
        assertEquals("<|im_end|>", template.endOfTurn());
    }

    @Test
    void endOfTurnIsWhatFollowsAReply() throws IOException {
        assertEquals("<|eot_id|>", new ChatTemplate(text("templates/llama3.jinja"), "l",
                Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>")).endOfTurn());
        assertEquals("<end_of_turn>", new ChatTemplate(text("templates/gemma.jinja"), "g",
                Map.of("bos_token", "<bos>", "eos_token", "<eos>")).endOfTurn());
        assertEquals("</s>", new ChatTemplate(text("templates/mistral.jinja"), "m",
                Map.of("bos_token", "<s>", "eos_token", "</s>")).endOfTurn());
    }

    @Test
    void aTokenizerConfigGivesTemplateAndSpecialTokens(@TempDir Path dir) throws IOException {
        Path tokenizer = dir.resolve("tokenizer.json");
        Files.writeString(tokenizer, "{}");
        assertEquals(ChatTemplate.DEFAULT_SOURCE, ChatTemplate.beside(tokenizer).source());
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}
                """);
        var template = ChatTemplate.beside(tokenizer);
        assertEquals("<s>hi</s>", template.render(List.of(new ChatTemplate.Message("user", "hi")), false));
        assertEquals(dir.resolve("tokenizer_config.json").toString(), template.origin());
        Files.writeString(dir.resolve("named.json"), """
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
                """);
        assertEquals("D", ChatTemplate.load(dir.resolve("named.json")).source());
        Files.writeString(dir.resolve("none.json"), "{}");
        var e = assertThrows(ConfigException.class, () -> ChatTemplate.load(dir.resolve("none.json")));
        assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
    }
}
