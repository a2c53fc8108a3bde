package dev.tlab.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.layers.Precision;
import dev.tlab.models.EncoderDecoder;
import java.util.Arrays;

/**
 * Decoding for an encoder-decoder, a batch of sources at a time: encode once, then feed the
 * begin marker and each chosen token back, one position per forward pass with a KV cache (the
 * encoder's keys and values are projected once), until every row has produced the end marker or
 * the answer limit. The decoder never runs past {@code model.context} positions. Greedy or
 * sampled, as the {@link TokenPicker} says; with the cache off, every step re-runs the decoder
 * over the whole prefix (the reference the cached path must match).
 */
public final class Seq2SeqDecoder {

    private final EncoderDecoder model;
    private final ParameterStore ps;
    private final NDManager manager;
    private boolean cached = true;

    public Seq2SeqDecoder(EncoderDecoder model, ParameterStore ps, NDManager manager) {
        this.model = model;
        this.ps = ps;
        this.manager = manager;
    }

    public Seq2SeqDecoder cached(boolean cached) {
        this.cached = cached;
        return this;
    }

    /**
     * @param source token ids {@code [rows, sourceLength]}, row-major, padded
     * @param sourceValid 1 for real source tokens, 0 for padding; same shape
     * @param maxTokens the most tokens to produce per row, the end marker included
     * @return each row's answer, without the begin and end markers
     */
    public int[][] decode(long[] source, long[] sourceValid, int rows, int sourceLength, int bos, int eos,
            int maxTokens, TokenPicker picker) {
        int steps = Math.min(maxTokens, model.config().context());
        int[][] out = new int[rows][steps];
        int[] lengths = new int[rows];
        boolean[] done = new boolean[rows];
        long[] prefix = new long[rows * steps];
        for (int row = 0; row < rows; row++) {
            prefix[row * steps] = bos;
        }
        try (NDScope ignored = new NDScope(); KvCache cache = cached ? new KvCache(manager) : null) {
            Shape shape = new Shape(rows, sourceLength);
            NDArray valid = manager.create(sourceValid, shape);
            NDArray memory = model.encode(ps, manager.create(source, shape), valid, false);
            for (int t = 0; t < steps; t++) {
                float[] logits = nextLogits(memory, valid, prefix, rows, steps, t, cache);
                int vocab = logits.length / rows;
                boolean all = true;
                for (int row = 0; row < rows; row++) {
                    int id = picker.pick(Arrays.copyOfRange(logits, row * vocab, (row + 1) * vocab));
                    if (t + 1 < steps) {
                        prefix[row * steps + t + 1] = id;
                    }
                    if (!done[row]) {
                        if (id == eos) {
                            done[row] = true;
                        } else {
                            out[row][lengths[row]++] = id;
                        }
                    }
                    all &= done[row];
                }
                if (all) {
                    break;
                }
            }
        }
        int[][] answers = new int[rows][];
        for (int row = 0; row < rows; row++) {
            answers[row] = Arrays.copyOf(out[row], lengths[row]);
        }
        return answers;
    }

    /** Logits {@code [rows * vocab]} for position {@code t}, given the prefix up to it. */
    private float[] nextLogits(NDArray memory, NDArray valid, long[] prefix, int rows, int steps, int t, KvCache cache) {
        try (NDScope ignored = new NDScope()) {
            NDArray all = manager.create(prefix, new Shape(rows, steps));
            NDArray input = cache == null
                    ? all.get(new NDIndex(":, :{}", t + 1))
                    : all.get(new NDIndex(":, {}:{}", t, t + 1));
            NDArray logits = model.decode(ps, memory, valid, input, null, cache, false);
            // In float32 whatever the precision (DJL reads float16 to Java, but not bfloat16).
            return Precision.widen(logits.get(new NDIndex(":, -1, :"))).toFloatArray();
        }
    }
}
