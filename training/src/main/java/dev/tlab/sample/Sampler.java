package dev.tlab.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.config.SampleConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.Precision;
import dev.tlab.models.DecoderLM;
import dev.tlab.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * Autoregressive generation from a decoder. The prompt is run once to fill a KV cache; after
 * that each new token costs one forward pass over that token alone. The window the model sees is
 * {@code ids[start, length)}; when it fills {@code model.context}, generation stops or slides
 * (see {@link ContextLimit}). With the cache off, every token re-runs the whole window: the
 * reference the cached path must match.
 */
public final class Sampler {

    /** Why generation ended. */
    public enum End { TOKENS, STOP_TEXT, END_OF_TEXT, CONTEXT }

    /** A prompt and what followed it. */
    public record Sample(String prompt, String output, int tokens, End end) {

        public String text() {
            return prompt + output;
        }
    }

    private final DecoderLM model;
    private final ParameterStore ps;
    private final NDManager manager;
    private final Tokenizer tokenizer;
    private boolean cached = true;

    public Sampler(DecoderLM model, ParameterStore ps, NDManager manager, Tokenizer tokenizer) {
        this.model = model;
        this.ps = ps;
        this.manager = manager;
        this.tokenizer = tokenizer;
    }

    /** Whether to use the KV cache (the default) or recompute the window for every token. */
    public Sampler cached(boolean cached) {
        this.cached = cached;
        return this;
    }

    /** The prompt followed by up to {@code count} characters (temperature and top-k only). */
    public String generate(String prompt, int count, double temperature, int topK, long seed) {
        return generate(new SampleConfig(prompt, count, temperature, topK), seed).text();
    }

    public Sample generate(SampleConfig options, long seed) {
        String prompt = options.prompt();
        if (prompt.isEmpty()) {
            throw new ConfigException("sample.prompt must not be empty (use \"\\n\" to start a fresh line)");
        }
        int[] promptIds = tokenizer.encode(prompt);
        if (tokenizer.beginOfText() >= 0) {
            int[] withBos = new int[promptIds.length + 1];
            withBos[0] = tokenizer.beginOfText();
            System.arraycopy(promptIds, 0, withBos, 1, promptIds.length);
            promptIds = withBos;
        }
        int[] endOfText = tokenizer.endOfText();
        int context = model.config().context();
        int keep = Math.max(1, context / 2);
        TokenPicker picker = new TokenPicker(options.temperature(), options.topK(), options.topP(), seed);
        String stop = options.stop();
        int[] ids = Arrays.copyOf(promptIds, promptIds.length + options.tokens());
        int length = promptIds.length;
        int start = 0;
        StringBuilder output = new StringBuilder();
        End end = End.TOKENS;
        KvCache cache = null;
        try {
            for (int generated = 0; generated < options.tokens(); generated++) {
                if (length - start >= context) {
                    if (options.contextLimit() == ContextLimit.STOP) {
                        end = End.CONTEXT;
                        break;
                    }
                    start = length - keep;
                    if (cache != null) {
                        cache.close();
                        cache = null;
                    }
                }
                float[] logits;
                if (!cached) {
                    logits = lastLogits(Arrays.copyOfRange(ids, start, length), null);
                } else if (cache == null) {
                    cache = new KvCache(manager);
                    logits = lastLogits(Arrays.copyOfRange(ids, start, length), cache);
                } else {
                    logits = lastLogits(new int[] {ids[length - 1]}, cache);
                }
                int id = picker.pick(logits);
                if (Arrays.stream(endOfText).anyMatch(e -> e == id)) {
                    end = End.END_OF_TEXT;
                    break;
                }
                ids[length++] = id;
                int before = output.length();
                // Decoded whole each time: a BPE token may hold part of a character that the next one completes.
                output.setLength(0);
                output.append(tokenizer.decode(Arrays.copyOfRange(ids, promptIds.length, length)));
                if (!stop.isEmpty()) {
                    int at = output.indexOf(stop, Math.max(0, before - stop.length() + 1));
                    if (at >= 0) {
                        output.setLength(at);
                        end = End.STOP_TEXT;
                        break;
                    }
                }
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
        }
        return new Sample(prompt, output.toString(), length - promptIds.length, end);
    }

    /** Next-token logits after {@code tokens}, which follow what {@code cache} holds (if any). */
    private float[] lastLogits(int[] tokens, KvCache cache) {
        try (NDScope ignored = new NDScope()) {
            long[] input = Arrays.stream(tokens).asLongStream().toArray();
            NDArray logits = model.forward(ps, manager.create(input, new Shape(1, input.length)), cache, false);
            // In float32 whatever the precision (DJL reads float16 to Java, but not bfloat16).
            return Precision.widen(logits.get(0, input.length - 1)).toFloatArray();
        }
    }
}
