package dev.tlab.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template: Jinja that turns a conversation into the text the model reads, rendered
 * as {@code transformers}' {@code apply_chat_template} renders it: {@code trim_blocks} and
 * {@code lstrip_blocks}, the globals {@code raise_exception} and {@code strftime_now}, a
 * {@code tojson} filter that is Python's {@code json.dumps}, the {@code {% generation %}} tag, the
 * variables {@code messages}, {@code add_generation_prompt} and the special tokens
 * ({@code bos_token}, {@code eos_token}...), no {@code tools}. Rendered by Jinjava; a construct it
 * cannot render is refused in one line naming it, never rendered differently in silence.
 */
public final class ChatTemplate {

    /** One turn of a conversation. */
    public record Message(String role, String content) {}

    /**
     * The template of a model that has none: ChatML, as Qwen and many others use, each turn
     * {@code <|im_start|>role\ncontent<|im_end|>\n}.
     */
    public static final String DEFAULT_SOURCE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** The special tokens {@code transformers} hands a template, by their tokenizer_config.json keys. */
    static final List<String> SPECIAL_TOKENS =
            List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** strftime_now's clock: the system's, or a fixed one in tests. */
    static volatile Clock clock = Clock.systemDefaultZone();

    private final String source;
    private final String origin;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    /**
     * @param origin where the template came from, for messages (a file, or "the default template")
     * @param specialTokens {@code bos_token} and the like, by name
     */
    public ChatTemplate(String source, String origin, Map<String, String> specialTokens) {
        this.source = source;
        this.origin = origin;
        this.specialTokens = Map.copyOf(specialTokens);
        this.jinjava = environment();
    }

    /** The documented default, {@link #DEFAULT_SOURCE}, with no special tokens. */
    public static ChatTemplate defaultTemplate() {
        return new ChatTemplate(DEFAULT_SOURCE, "the default (ChatML) template", Map.of());
    }

    /**
     * A template file: a {@code tokenizer_config.json} (its {@code chat_template}, a string or the
     * entry named "default" of a list, and its special tokens), or any other file read as the Jinja
     * source itself.
     */
    public static ChatTemplate load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (!file.getFileName().toString().endsWith(".json")) {
            return new ChatTemplate(text, file.toString(), Map.of());
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode template = root == null ? null : root.get("chat_template");
        String source = null;
        if (template != null && template.isTextual()) {
            source = template.asText();
        } else if (template != null && template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asText())) {
                    source = named.path("template").asText();
                }
            }
        }
        if (source == null) {
            throw new ConfigException(file + " has no chat_template (a string, or a list with one named \"default\")");
        }
        return new ChatTemplate(source, file.toString(), specialTokens(root));
    }

    /**
     * The template of a tokenizer: the chat_template of a {@code tokenizer_config.json} beside
     * its tokenizer.json, when there is one; otherwise the default.
     *
     * @param tokenizerFile a Hugging Face tokenizer.json, or null
     */
    public static ChatTemplate beside(Path tokenizerFile) {
        if (tokenizerFile != null) {
            Path config = tokenizerFile.resolveSibling("tokenizer_config.json");
            if (Files.isRegularFile(config) && hasTemplate(config)) {
                return load(config);
            }
        }
        return defaultTemplate();
    }

    private static boolean hasTemplate(Path config) {
        try {
            JsonNode root = JSON.readTree(config.toFile());
            return root != null && root.has("chat_template");
        } catch (IOException e) {
            throw new ConfigException(config + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Each special token named in a tokenizer_config.json: a string, or an AddedToken's "content". */
    private static Map<String, String> specialTokens(JsonNode root) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKENS) {
            JsonNode token = root.get(name);
            if (token != null && token.isTextual()) {
                tokens.put(name, token.asText());
            } else if (token != null && token.isObject() && token.path("content").isTextual()) {
                tokens.put(name, token.path("content").asText());
            }
        }
        return tokens;
    }

    public String source() {
        return source;
    }

    public String origin() {
        return origin;
    }

    /** {@code bos_token} and the like, as the template sees them. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /**
     * The conversation as the model reads it.
     *
     * @param addGenerationPrompt end with what opens an assistant turn, for the model to answer
     * @throws ConfigException in one line: the template raised an exception, or uses a construct
     *     that cannot be rendered (named, with its line)
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Message message : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", message.role());
            turn.put("content", message.content());
            turns.add(turn);
        }
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.put("messages", turns);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw failure(error);
            }
        }
        return result.getOutput();
    }

    /**
     * What the template writes after an assistant's reply, up to its first non-blank character
     * after the reply's end: the text that ends a turn ({@code <|im_end|>}, {@code <|eot_id|>},
     * {@code </s>}...), where generation stops. Falls back to eos_token, or "" when neither is known.
     */
    public String endOfTurn() {
        String marker = "tlab-reply-9f27c1";
        try {
            String rendered = render(List.of(new Message("user", "?"), new Message("assistant", marker)), false);
            int at = rendered.lastIndexOf(marker);
            if (at >= 0) {
                String after = rendered.substring(at + marker.length()).strip();
                if (!after.isEmpty()) {
                    return after.split("\\s", 2)[0];
                }
            }
        } catch (ConfigException e) {
            // A template that cannot render this probe still has its eos_token.
        }
        return specialTokens.getOrDefault("eos_token", "");
    }

    private ConfigException failure(TemplateError error) {
        Throwable cause = error.getException();
        while (cause != null && !(cause instanceof TemplateRaised) && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause instanceof TemplateRaised raised) {
            return new ConfigException("chat template (" + origin + ") raised an exception: " + raised.getMessage());
        }
        String message = error.getMessage() == null ? String.valueOf(error.getReason()) : error.getMessage();
        if (message.contains("raise_exception")) {
            // Jinjava keeps only the message of an exception thrown by a function.
            return new ConfigException("chat template (" + origin + ") raised an exception: " + message);
        }
        return new ConfigException("chat template (" + origin + ") cannot be rendered here: line " + error.getLineno()
                + ": " + message.lines().findFirst().orElse("").strip()
                + (error.getFieldName() == null ? "" : " (in '" + error.getFieldName() + "')"));
    }

    /** Jinjava set up as transformers sets up Jinja for chat templates. */
    private static Jinjava environment() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException",
                Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow",
                String.class));
        globals.registerFilter(new ToJson());
        globals.registerFilter(new Length("length"));
        globals.registerFilter(new Length("count"));
        globals.registerTag(new GenerationTag());
        return jinjava;
    }

    /** The exception a template raises through {@code raise_exception(message)}. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    public static Object raiseException(Object message) {
        throw new TemplateRaised("raise_exception: " + message);
    }

    public static String strftimeNow(String format) {
        return Strftime.format(format, ZonedDateTime.now(clock));
    }

    /** {@code tojson}, with Python's separators and key order (Jinjava's own writes compact JSON). */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(value, args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null);
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(value, indent == null ? null : ((Number) (indent instanceof String s
                    ? Integer.valueOf(s) : indent)).intValue());
        }
    }

    /** {@code length}: a string's length in code points, as Python's {@code len} (Jinjava counts UTF-16 units). */
    private static final class Length implements Filter {
        private final String name;
        private final Filter jinjava = new com.hubspot.jinjava.lib.filter.LengthFilter();

        Length(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return value instanceof String text ? text.codePointCount(0, text.length()) : jinjava.filter(value, interpreter, args);
        }
    }

    /** {@code {% generation %}...{% endgeneration %}}: transformers marks assistant text with it; it renders its body. */
    private static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
