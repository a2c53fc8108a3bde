package dev.tlab.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.config.ConfigException;
import dev.tlab.data.CharTokenizer;
import dev.tlab.models.DecoderLM;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Autoregressive generation: greedy (temperature 0) or temperature with top-k, seeded. */
public final class Sampler {

    private final DecoderLM model;
    private final ParameterStore ps;
    private final NDManager manager;
    private final CharTokenizer tokenizer;

    public Sampler(DecoderLM model, ParameterStore ps, NDManager manager, CharTokenizer tokenizer) {
        this.model = model;
        this.ps = ps;
        this.manager = manager;
        this.tokenizer = tokenizer;
    }

    /** The prompt followed by {@code count} generated characters. */
    public String generate(String prompt, int count, double temperature, int topK, long seed) {
        if (prompt.isEmpty()) {
            throw new ConfigException("sample.prompt must not be empty (use \"\\n\" to start a fresh line)");
        }
        int context = model.config().context();
        int[] ids = Arrays.copyOf(tokenizer.encode(prompt), prompt.length() + count);
        int length = prompt.length();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int start = Math.max(0, length - context);
            float[] logits = nextLogits(Arrays.copyOfRange(ids, start, length));
            ids[length++] = pick(logits, temperature, topK, random);
        }
        return tokenizer.decode(Arrays.copyOf(ids, length));
    }

    private float[] nextLogits(int[] window) {
        try (NDScope ignored = new NDScope()) {
            long[] input = Arrays.stream(window).asLongStream().toArray();
            NDArray tokens = manager.create(input, new Shape(1, input.length));
            NDArray logits = model.forward(ps, tokens, false);
            return logits.get(0, input.length - 1).toFloatArray();
        }
    }

    /** Chooses a token id from raw logits; package-private for tests. */
    static int pick(float[] logits, double temperature, int topK, SplittableRandom random) {
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double cutoff = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < logits.length) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            cutoff = sorted[logits.length - topK];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = Math.max(max, logit);
        }
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = logits[i] < cutoff ? 0 : Math.exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        double target = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            target -= weights[i];
            if (target < 0) {
                return i;
            }
        }
        return logits.length - 1;
    }
}
