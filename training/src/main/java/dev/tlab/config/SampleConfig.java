package dev.tlab.config;

import dev.tlab.sample.ContextLimit;

/**
 * How to generate: at the end of a run, and with {@code tlab sample}. Temperature 0 means greedy;
 * {@code stop}, when not empty, ends generation and is left out of the output.
 */
public record SampleConfig(
        String prompt, int tokens, double temperature, int topK, double topP, String stop, ContextLimit contextLimit) {

    public SampleConfig {
        if (tokens < 0) {
            throw new ConfigException("sample.tokens must be >= 0, got " + tokens);
        }
        if (!(temperature >= 0)) {
            throw new ConfigException("sample.temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new ConfigException("sample.top_k must be >= 0 (0 = all), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new ConfigException("sample.top_p must be in (0, 1] (1 = all), got " + topP);
        }
        if (stop == null || contextLimit == null) {
            throw new ConfigException("sample.stop and sample.context_limit must be set");
        }
    }

    /** Temperature and top-k only: no nucleus cut, no stop text, slide at the context limit. */
    public SampleConfig(String prompt, int tokens, double temperature, int topK) {
        this(prompt, tokens, temperature, topK, 1.0, "", ContextLimit.SLIDE);
    }

    public SampleConfig withPrompt(String prompt) {
        return new SampleConfig(prompt, tokens, temperature, topK, topP, stop, contextLimit);
    }

    /** Greedy decoding with the same length, stop text and context policy. */
    public SampleConfig greedy() {
        return new SampleConfig(prompt, tokens, 0, 0, 1.0, stop, contextLimit);
    }
}
