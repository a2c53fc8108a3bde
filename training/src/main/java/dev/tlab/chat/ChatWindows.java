package dev.tlab.chat;

import dev.tlab.config.ChatOptions.Overlong;
import dev.tlab.config.ChatOptions.Packing;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenized examples laid out in windows of {@code context} positions for next-token training.
 * An example of n tokens fills n - 1 positions (each predicts the next token). Examples are never
 * split: {@code pack} places whole examples one after another while they fit, {@code pad} one per
 * window; the rest of a window is padding. Each position records its example ({@link #segment}),
 * from which {@link #attentionMask} keeps every example from attending to another, and a loss
 * weight: 1 where the token predicted is an answer token of the same example, else 0.
 */
public final class ChatWindows {

    /** One tokenized example: its ids, which of them are answer tokens, and its answer text's UTF-8 bytes. */
    public record Example(int[] tokens, boolean[] answer, long answerBytes) {
        public int answerTokens() {
            int count = 0;
            for (boolean a : answer) {
                count += a ? 1 : 0;
            }
            return count;
        }
    }

    /** Segment of a padding position. */
    public static final int PADDING = -1;

    private final int context;
    private final int windows;
    private final long[] inputs;
    private final long[] targets;
    private final float[] weights;
    private final int[] segments;
    private final int examples;
    private final int truncated;
    private final int dropped;
    private final int unanswered;
    private final long answerTokens;
    private final long answerBytes;

    private ChatWindows(int context, List<int[]> rows, int examples, int truncated, int dropped, int unanswered,
            long answerTokens, long answerBytes, List<long[]> in, List<long[]> out, List<float[]> w) {
        this.context = context;
        this.windows = rows.size();
        this.inputs = new long[windows * context];
        this.targets = new long[windows * context];
        this.weights = new float[windows * context];
        this.segments = new int[windows * context];
        for (int r = 0; r < windows; r++) {
            System.arraycopy(in.get(r), 0, inputs, r * context, context);
            System.arraycopy(out.get(r), 0, targets, r * context, context);
            System.arraycopy(w.get(r), 0, weights, r * context, context);
            System.arraycopy(rows.get(r), 0, segments, r * context, context);
        }
        this.examples = examples;
        this.truncated = truncated;
        this.dropped = dropped;
        this.unanswered = unanswered;
        this.answerTokens = answerTokens;
        this.answerBytes = answerBytes;
    }

    /**
     * @param overlong what to do with an example of more than {@code context + 1} tokens
     */
    public static ChatWindows of(List<Example> examples, int context, Packing packing, Overlong overlong) {
        List<int[]> segmentRows = new ArrayList<>();
        List<long[]> in = new ArrayList<>();
        List<long[]> out = new ArrayList<>();
        List<float[]> w = new ArrayList<>();
        int truncated = 0;
        int dropped = 0;
        int unanswered = 0;
        int kept = 0;
        long answerTokens = 0;
        long answerBytes = 0;
        int used = context; // positions filled in the current window: full, so the first example opens one
        for (Example example : examples) {
            int length = example.tokens().length;
            if (length > context + 1) {
                if (overlong == Overlong.DROP) {
                    dropped++;
                    continue;
                }
                truncated++;
                length = context + 1;
            }
            int answers = 0;
            for (int i = 1; i < length; i++) {
                answers += example.answer()[i] ? 1 : 0;
            }
            if (answers == 0) {
                // Nothing to learn from (no answer, or none left after truncation): a window of it would divide 0 by 0.
                unanswered++;
                continue;
            }
            int positions = length - 1;
            if (packing == Packing.PAD || used + positions > context) {
                segmentRows.add(filled(context, PADDING));
                in.add(new long[context]);
                out.add(new long[context]);
                w.add(new float[context]);
                used = 0;
            }
            int row = segmentRows.size() - 1;
            for (int i = 0; i < positions; i++) {
                in.get(row)[used + i] = example.tokens()[i];
                out.get(row)[used + i] = example.tokens()[i + 1];
                w.get(row)[used + i] = example.answer()[i + 1] ? 1f : 0f;
                segmentRows.get(row)[used + i] = kept;
            }
            used += positions;
            kept++;
            answerTokens += answers;
            answerBytes += length == example.tokens().length ? example.answerBytes()
                    : Math.round((double) example.answerBytes() * answers / Math.max(1, example.answerTokens()));
        }
        return new ChatWindows(context, segmentRows, kept, truncated, dropped, unanswered, answerTokens, answerBytes, in, out,
                w);
    }

    private static int[] filled(int length, int value) {
        int[] row = new int[length];
        java.util.Arrays.fill(row, value);
        return row;
    }

    /** Windows laid out. */
    public int windows() {
        return windows;
    }

    public int context() {
        return context;
    }

    /** Examples placed in windows. */
    public int examples() {
        return examples;
    }

    /** Examples cut to {@code context + 1} tokens ({@code data.overlong: truncate}). */
    public int truncated() {
        return truncated;
    }

    /** Examples left out for being too long ({@code data.overlong: drop}). */
    public int dropped() {
        return dropped;
    }

    /** Examples left out because no answer token remained to train on. */
    public int unanswered() {
        return unanswered;
    }

    /** Positions whose loss counts, over all windows. */
    public long answerTokens() {
        return answerTokens;
    }

    /** UTF-8 bytes of the answer text those positions predict (prorated for a truncated example). */
    public long answerBytes() {
        return answerBytes;
    }

    /** Input ids of window {@code w}. */
    public long[] inputs(int w) {
        return java.util.Arrays.copyOfRange(inputs, w * context, (w + 1) * context);
    }

    public long[] targets(int w) {
        return java.util.Arrays.copyOfRange(targets, w * context, (w + 1) * context);
    }

    public float[] weights(int w) {
        return java.util.Arrays.copyOfRange(weights, w * context, (w + 1) * context);
    }

    /** The example each position of window {@code w} belongs to, {@link #PADDING} for none. */
    public int[] segments(int w) {
        return java.util.Arrays.copyOfRange(segments, w * context, (w + 1) * context);
    }

    /**
     * Additive attention mask {@code [T * T]} (row = query) of window {@code w}: {@code blocked}
     * where query and key belong to different examples. The model's causal mask does the rest.
     */
    public float[] attentionMask(int w, float blocked) {
        float[] mask = new float[context * context];
        int base = w * context;
        for (int q = 0; q < context; q++) {
            for (int k = 0; k < context; k++) {
                if (segments[base + q] != segments[base + k]) {
                    mask[q * context + k] = blocked;
                }
            }
        }
        return mask;
    }
}
