package dev.tlab.config;

import dev.tlab.errors.ConfigException;
import dev.tlab.sample.ContextLimit;
import dev.tlab.util.EnumNames;

/**
 * How to generate: at the end of a run, and with {@code tlab sample}. Temperature 0 means greedy;
 * {@code stop}, when not empty, ends generation and is left out of the output.
 */
public record SampleConfig(
        String prompt, int tokens, double temperature, int topK, double topP, String stop, ContextLimit contextLimit) {

    /** What an error calls each setting: its config key, or the flag a command reads it from. */
    public record Names(String tokens, String temperature, String topK, String topP, String stop, String contextLimit) {}

    /** The config file's keys. */
    public static final Names KEYS = new Names("sample.tokens", "sample.temperature", "sample.top_k", "sample.top_p",
            "sample.stop", "sample.context_limit");

    public SampleConfig {
        check(KEYS, tokens, temperature, topK, topP, stop, contextLimit);
    }

    /** Temperature and top-k only: no nucleus cut, no stop text, slide at the context limit. */
    public SampleConfig(String prompt, int tokens, double temperature, int topK) {
        this(prompt, tokens, temperature, topK, 1.0, "", ContextLimit.SLIDE);
    }

    /**
     * Settings read under other {@code names}, such as a command's flags: a bad value is reported
     * under its name there.
     */
    public static SampleConfig of(Names names, String prompt, int tokens, double temperature, int topK, double topP,
            String stop, String contextLimit) {
        ContextLimit limit;
        try {
            limit = EnumNames.parse(ContextLimit.class, names.contextLimit(), contextLimit);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        check(names, tokens, temperature, topK, topP, stop, limit);
        return new SampleConfig(prompt, tokens, temperature, topK, topP, stop, limit);
    }

    private static void check(Names names, int tokens, double temperature, int topK, double topP, String stop,
            ContextLimit contextLimit) {
        if (tokens < 0) {
            throw new ConfigException(names.tokens() + " must be >= 0, got " + tokens);
        }
        if (!(temperature >= 0)) {
            throw new ConfigException(names.temperature() + " must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new ConfigException(names.topK() + " must be >= 0 (0 = all), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new ConfigException(names.topP() + " must be in (0, 1] (1 = all), got " + topP);
        }
        if (stop == null || contextLimit == null) {
            throw new ConfigException(names.stop() + " and " + names.contextLimit() + " must be set");
        }
    }

    public SampleConfig withPrompt(String prompt) {
        return new SampleConfig(prompt, tokens, temperature, topK, topP, stop, contextLimit);
    }

    /** Greedy decoding with the same length, stop text and context policy. */
    public SampleConfig greedy() {
        return new SampleConfig(prompt, tokens, 0, 0, 1.0, stop, contextLimit);
    }
}
