package dev.tlab.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from raw logits: greedy at temperature 0, else a seeded draw from
 * {@code softmax(logits / temperature)} restricted first to the {@code topK} likeliest tokens
 * (0 = all), then to the nucleus: the smallest set of likeliest tokens whose probability mass
 * reaches {@code topP} (1 = all). Ties keep the lower token id first, so choices are repeatable.
 */
public final class TokenPicker {

    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    public TokenPicker(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || topK < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("need temperature >= 0, top-k >= 0 and top-p in (0, 1], got "
                    + temperature + ", " + topK + ", " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    /** Always the likeliest token. */
    public static TokenPicker greedy() {
        return new TokenPicker(0, 0, 1, 0);
    }

    public int pick(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        double[] p = probabilities(logits, temperature, topK, topP);
        double target = random.nextDouble();
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                target -= p[i];
                last = i;
                if (target < 0) {
                    return i;
                }
            }
        }
        return last; // rounding left a sliver of mass: the last kept token takes it
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The distribution {@link #pick} draws from (temperature > 0): excluded tokens get 0, the
     * rest are renormalized.
     */
    static double[] probabilities(float[] logits, double temperature, int topK, double topP) {
        int n = logits.length;
        if ((topK == 0 || topK >= n) && topP >= 1) {
            return softmax(logits, temperature); // no cut: no need to sort
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Stable sort: equal logits stay in id order.
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int kept = topK > 0 ? Math.min(topK, n) : n;
        double max = logits[order[0]];
        double[] weights = new double[n];
        double total = 0;
        for (int r = 0; r < kept; r++) {
            int i = order[r];
            weights[i] = Math.exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        if (topP < 1) {
            double mass = 0;
            int r = 0;
            while (r < kept) {
                mass += weights[order[r++]] / total;
                if (mass >= topP) {
                    break;
                }
            }
            for (int dropped = r; dropped < kept; dropped++) {
                total -= weights[order[dropped]];
                weights[order[dropped]] = 0;
            }
        }
        for (int i = 0; i < n; i++) {
            weights[i] /= total;
        }
        return weights;
    }

    private static double[] softmax(float[] logits, double temperature) {
        double max = logits[argmax(logits)];
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        for (int i = 0; i < logits.length; i++) {
            weights[i] /= total;
        }
        return weights;
    }
}
