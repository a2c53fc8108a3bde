package dev.tlab.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat and instruction examples from JSON Lines, one per line, each in one of the common shapes,
 * as a conversation:
 * <ul>
 *   <li>{@code {"messages": [{"role": ..., "content": ...}, ...]}}: as it is (Hugging Face's and OpenAI's chat format);
 *   <li>{@code {"prompt": ..., "completion": ...}}: a user turn and the assistant's answer (either may
 *       also be a list of messages, TRL's conversational prompt-completion);
 *   <li>Alpaca's {@code {"instruction": ..., "input": ..., "output": ...}}: the instruction, then a blank
 *       line and the input when there is one, as the user turn; the output as the answer.
 * </ul>
 */
public final class ChatExamples {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatExamples() {}

    /** Every example of {@code file}; blank lines are skipped. */
    public static List<List<ChatTemplate.Message>> read(Path file) {
        List<List<ChatTemplate.Message>> examples = new ArrayList<>();
        try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ":" + number;
                JsonNode record;
                try {
                    record = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new ConfigException(where + ": not valid JSON: " + e.getOriginalMessage());
                }
                examples.add(conversation(record, where));
            }
        } catch (NoSuchFileException e) {
            throw new ConfigException("data.path: no such file: " + file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (examples.isEmpty()) {
            throw new ConfigException(file + " holds no examples (JSON Lines, one example per line)");
        }
        return examples;
    }

    /** One record as a conversation; {@code where} names it in errors. */
    static List<ChatTemplate.Message> conversation(JsonNode record, String where) {
        if (record == null || !record.isObject()) {
            throw new ConfigException(where + ": an example must be a JSON object");
        }
        if (record.has("messages")) {
            return messages(record.get("messages"), where + ": messages");
        }
        if (record.has("prompt") && record.has("completion")) {
            List<ChatTemplate.Message> turns = new ArrayList<>(turn(record.get("prompt"), "user", where + ": prompt"));
            turns.addAll(turn(record.get("completion"), "assistant", where + ": completion"));
            return turns;
        }
        if (record.has("instruction") && record.has("output")) {
            String instruction = text(record.get("instruction"), where + ": instruction");
            String input = record.has("input") && !record.get("input").isNull() ? text(record.get("input"), where + ": input") : "";
            String user = input.isEmpty() ? instruction : instruction + "\n\n" + input;
            return List.of(new ChatTemplate.Message("user", user),
                    new ChatTemplate.Message("assistant", text(record.get("output"), where + ": output")));
        }
        throw new ConfigException(where + ": not an example: expected \"messages\", \"prompt\" and \"completion\", or"
                + " \"instruction\" and \"output\" (with an optional \"input\"); found " + fields(record));
    }

    private static List<ChatTemplate.Message> turn(JsonNode value, String role, String where) {
        return value.isArray() ? messages(value, where) : List.of(new ChatTemplate.Message(role, text(value, where)));
    }

    private static List<ChatTemplate.Message> messages(JsonNode list, String where) {
        if (!list.isArray() || list.isEmpty()) {
            throw new ConfigException(where + " must be a non-empty list of {\"role\", \"content\"} objects");
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (JsonNode message : list) {
            String at = where + "[" + messages.size() + "]";
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw new ConfigException(at + " must be an object with a string \"role\" and \"content\"");
            }
            messages.add(new ChatTemplate.Message(message.get("role").asText(), text(message.get("content"), at + ".content")));
        }
        return messages;
    }

    private static String text(JsonNode value, String where) {
        if (value == null || !value.isTextual()) {
            throw new ConfigException(where + " must be a string, got " + (value == null ? "nothing" : value.getNodeType()
                    .toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return value.asText();
    }

    private static String fields(JsonNode record) {
        List<String> names = new ArrayList<>();
        record.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "no fields" : String.join(", ", names);
    }
}
