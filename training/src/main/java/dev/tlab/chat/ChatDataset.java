package dev.tlab.chat;

import dev.tlab.config.ChatOptions;
import dev.tlab.config.DataConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A chat run's data ({@code data.format: chat}): the examples of {@code data.path} (and
 * {@code data.val_path}, or the last {@code data.val_fraction} of them), rendered with the chat
 * template, tokenized span by span (so answer tokens are known exactly) and laid out in windows.
 */
public final class ChatDataset {

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final ChatWindows train;
    private final ChatWindows val;
    private final DataConfig settings;

    private ChatDataset(ChatTemplate template, Tokenizer tokenizer, ChatWindows train, ChatWindows val,
            DataConfig settings) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.train = train;
        this.val = val;
        this.settings = settings;
    }

    /** The template a run renders with: {@code data.chat_template}, else the one beside the tokenizer file, else the default. */
    public static ChatTemplate template(DataConfig data) {
        return data.chatTemplate() != null ? ChatTemplate.load(data.chatTemplate())
                : ChatTemplate.beside(data.tokenizerFile());
    }

    /**
     * @param base a checkpoint's tokenizer whose ids are kept (a character vocabulary gains the
     *     data's new characters), or null for one fitted to the data
     */
    public static ChatDataset load(DataConfig data, int context, Tokenizer base) {
        ChatTemplate template = template(data);
        Rendered rendered = render(data, template);
        Tokenizer tokenizer = tokenizer(data, base, rendered);
        ChatWindows train = ChatWindows.of(encode(rendered.train, tokenizer), context, data.packing(), data.overlong());
        ChatWindows val = ChatWindows.of(encode(rendered.val, tokenizer), context, data.packing(), data.overlong());
        for (var split : List.of(new Object[] {"training", train}, new Object[] {"validation", val})) {
            ChatWindows windows = (ChatWindows) split[1];
            if (windows.windows() == 0) {
                throw new ConfigException("no " + split[0] + " example of " + data.path() + " is left to train on ("
                        + windows.dropped() + " longer than model.context + 1 = " + (context + 1) + " tokens dropped, "
                        + windows.unanswered() + " without an answer token); raise model.context or set data.overlong: truncate");
            }
        }
        return new ChatDataset(template, tokenizer, train, val, data);
    }

    /** The vocabulary the run's model gets, without tokenizing the data where the tokenizer is fixed. */
    public static int vocabulary(DataConfig data) {
        return switch (data.tokenizer()) {
            case "gpt2" -> Gpt2Tokenizer.VOCAB_SIZE;
            case "hf" -> {
                try (var hf = Tokenizers.huggingFace(data.tokenizerFile())) {
                    yield hf.vocabSize();
                }
            }
            default -> CharTokenizer.fit(render(data, template(data)).allText()).vocabSize();
        };
    }

    private record Rendered(List<List<ChatSpans.Span>> train, List<List<ChatSpans.Span>> val) {
        String allText() {
            StringBuilder text = new StringBuilder();
            for (var split : List.of(train, val)) {
                for (var example : split) {
                    example.forEach(span -> text.append(span.text()));
                }
            }
            return text.toString();
        }
    }

    private static Rendered render(DataConfig data, ChatTemplate template) {
        var examples = ChatExamples.read(data.path());
        List<List<ChatTemplate.Message>> trainExamples;
        List<List<ChatTemplate.Message>> valExamples;
        if (data.valPath() != null) {
            trainExamples = examples;
            valExamples = ChatExamples.read(data.valPath());
        } else {
            if (examples.size() < 2) {
                throw new ConfigException(data.path() + " holds one example; a validation split needs two or more"
                        + " (or a separate data.val_path)");
            }
            int valCount = Math.min(examples.size() - 1, Math.max(1, (int) Math.round(examples.size() * data.valFraction())));
            trainExamples = examples.subList(0, examples.size() - valCount);
            valExamples = examples.subList(examples.size() - valCount, examples.size());
        }
        String valSource = data.valPath() != null ? data.valPath().toString() : data.path().toString();
        return new Rendered(spans(trainExamples, template, data.lossOn(), data.path().toString(), 0),
                spans(valExamples, template, data.lossOn(), valSource,
                        data.valPath() != null ? 0 : trainExamples.size()));
    }

    private static List<List<ChatSpans.Span>> spans(List<List<ChatTemplate.Message>> examples, ChatTemplate template,
            ChatOptions.LossOn lossOn, String file, int first) {
        List<List<ChatSpans.Span>> all = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            all.add(ChatSpans.of(template, examples.get(i), lossOn, file + " example " + (first + i + 1)));
        }
        return all;
    }

    private static Tokenizer tokenizer(DataConfig data, Tokenizer base, Rendered rendered) {
        if (base != null) {
            Tokenizers.requireKind(base, data.tokenizer());
            return base instanceof CharTokenizer chars ? CharTokenizer.extend(chars.symbols(), rendered.allText()) : base;
        }
        return switch (data.tokenizer()) {
            case "gpt2" -> Gpt2Tokenizer.get();
            case "hf" -> Tokenizers.huggingFace(data.tokenizerFile());
            default -> CharTokenizer.fit(rendered.allText());
        };
    }

    /** Each span encoded on its own, so no token straddles a prompt and an answer. */
    static List<ChatWindows.Example> encode(List<List<ChatSpans.Span>> examples, Tokenizer tokenizer) {
        List<ChatWindows.Example> encoded = new ArrayList<>(examples.size());
        for (var spans : examples) {
            List<int[]> parts = new ArrayList<>();
            int length = 0;
            long answerBytes = 0;
            for (var span : spans) {
                int[] ids = tokenizer.encode(span.text());
                parts.add(ids);
                length += ids.length;
                if (span.answer()) {
                    answerBytes += span.text().getBytes(StandardCharsets.UTF_8).length;
                }
            }
            int[] tokens = new int[length];
            boolean[] answer = new boolean[length];
            int at = 0;
            for (int s = 0; s < spans.size(); s++) {
                int[] ids = parts.get(s);
                System.arraycopy(ids, 0, tokens, at, ids.length);
                java.util.Arrays.fill(answer, at, at + ids.length, spans.get(s).answer());
                at += ids.length;
            }
            encoded.add(new ChatWindows.Example(tokens, answer, answerBytes));
        }
        return encoded;
    }

    public ChatTemplate template() {
        return template;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatWindows train() {
        return train;
    }

    public ChatWindows val() {
        return val;
    }

    /** The start-up line: examples, windows, what was cut or left out, and where the loss falls. */
    public String describe() {
        return String.format(Locale.ROOT, "chat (%s), %s tokenizer, vocab %,d | train %,d examples in %,d windows, val %,d in"
                        + " %,d | loss on %s: %,d train / %,d val tokens | over-long: %s%s",
                template.origin(), tokenizer.kind(), tokenizer.vocabSize(), train.examples(), train.windows(),
                val.examples(), val.windows(), settings.lossOn(), train.answerTokens(), val.answerTokens(),
                overlong(), train.unanswered() + val.unanswered() == 0 ? ""
                        : String.format(Locale.ROOT, " | %,d without an answer token left out",
                                train.unanswered() + val.unanswered()));
    }

    private String overlong() {
        int truncated = train.truncated() + val.truncated();
        int dropped = train.dropped() + val.dropped();
        return settings.overlong() == ChatOptions.Overlong.DROP ? String.format(Locale.ROOT, "%,d dropped", dropped)
                : String.format(Locale.ROOT, "%,d truncated", truncated);
    }
}
