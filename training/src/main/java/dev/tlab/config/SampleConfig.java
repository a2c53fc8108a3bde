package dev.tlab.config;

/** What to generate at the end of a run. Temperature 0 means greedy. */
public record SampleConfig(String prompt, int tokens, double temperature, int topK) {

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
    }
}
