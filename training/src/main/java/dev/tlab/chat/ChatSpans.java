package dev.tlab.chat;

import dev.tlab.config.ChatOptions.LossOn;
import dev.tlab.errors.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * A conversation rendered by its template and cut into stretches of prompt and answer text. Each
 * assistant turn's answer is found as transformers-based trainers find it: the conversation up to
 * that turn, rendered with the generation prompt, must begin the conversation rendered through the
 * turn; what the latter adds is the answer, the text that ends the turn included (so the model
 * learns to stop). Both must begin the whole conversation's rendering.
 */
public final class ChatSpans {

    /** A stretch of rendered text, and whether it is an answer. */
    public record Span(String text, boolean answer) {}

    private ChatSpans() {}

    /**
     * @param lossOn {@code all}: the whole rendering as one answer span
     * @param where names the example in errors
     */
    public static List<Span> of(ChatTemplate template, List<ChatTemplate.Message> conversation, LossOn lossOn, String where) {
        String whole = template.render(conversation, false);
        if (lossOn == LossOn.ALL) {
            return List.of(new Span(whole, true));
        }
        List<Span> spans = new ArrayList<>();
        int cursor = 0;
        for (int i = 0; i < conversation.size(); i++) {
            if (!conversation.get(i).role().equals("assistant")) {
                continue;
            }
            String prompt = template.render(conversation.subList(0, i), true);
            String through = template.render(conversation.subList(0, i + 1), false);
            if (!through.startsWith(prompt) || !whole.startsWith(through) || prompt.length() < cursor) {
                throw new ConfigException(where + ": the chat template (" + template.origin() + ") does not render the"
                        + " conversation up to assistant turn " + i + " as the start of the whole, so the answer cannot"
                        + " be told from the prompt; set data.loss_on: all to train on every token");
            }
            if (prompt.length() > cursor) {
                spans.add(new Span(whole.substring(cursor, prompt.length()), false));
            }
            if (through.length() > prompt.length()) {
                spans.add(new Span(whole.substring(prompt.length(), through.length()), true));
            }
            cursor = through.length();
        }
        if (cursor < whole.length()) {
            spans.add(new Span(whole.substring(cursor), false));
        }
        return spans;
    }
}
