package dev.tlab.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenPickerTest {

    /** Logits whose softmax is exactly {@code p} (ids deliberately not in probability order). */
    private static float[] logitsOf(double... p) {
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            logits[i] = (float) Math.log(p[i]);
        }
        return logits;
    }

    // Token 2 is likeliest, then 0, then 3, then 1.
    private static final float[] LOGITS = logitsOf(0.30, 0.05, 0.50, 0.15);

    @Test
    void topPKeepsTheSmallestSetWhoseMassReachesP() {
        // 0.50 < 0.6 <= 0.50 + 0.30: tokens 2 and 0, renormalized over 0.8.
        assertArrayEquals(new double[] {0.375, 0, 0.625, 0}, TokenPicker.probabilities(LOGITS, 1, 0, 0.6), 1e-6);
        // p at or below the top token's mass keeps it alone.
        assertArrayEquals(new double[] {0, 0, 1, 0}, TokenPicker.probabilities(LOGITS, 1, 0, 0.5), 1e-6);
        assertArrayEquals(new double[] {0, 0, 1, 0}, TokenPicker.probabilities(LOGITS, 1, 0, 0.01), 1e-6);
        // 0.80 < 0.9 <= 0.95: three tokens.
        assertArrayEquals(new double[] {0.30 / 0.95, 0, 0.50 / 0.95, 0.15 / 0.95},
                TokenPicker.probabilities(LOGITS, 1, 0, 0.9), 1e-6);
        // p = 1 keeps everything.
        assertArrayEquals(new double[] {0.30, 0.05, 0.50, 0.15}, TokenPicker.probabilities(LOGITS, 1, 0, 1), 1e-6);
    }

    @Test
    void topKThenTopPThenTemperature() {
        // top-k 2 leaves tokens 2 and 0 (0.625 / 0.375); top-p 0.6 then keeps only token 2.
        assertArrayEquals(new double[] {0.375, 0, 0.625, 0}, TokenPicker.probabilities(LOGITS, 1, 2, 1), 1e-6);
        assertArrayEquals(new double[] {0, 0, 1, 0}, TokenPicker.probabilities(LOGITS, 1, 2, 0.6), 1e-6);
        // Temperature 2 flattens (p ~ sqrt(p): 0.379, 0.294, 0.208, 0.120), so the nucleus at 0.7
        // needs three tokens where temperature 1 needs two.
        double[] flat = TokenPicker.probabilities(LOGITS, 2, 0, 1);
        double z = Math.sqrt(0.30) + Math.sqrt(0.05) + Math.sqrt(0.50) + Math.sqrt(0.15);
        assertEquals(Math.sqrt(0.50) / z, flat[2], 1e-6);
        assertEquals(2, kept(TokenPicker.probabilities(LOGITS, 1, 0, 0.7)));
        double[] nucleus = TokenPicker.probabilities(LOGITS, 2, 0, 0.7);
        assertEquals(3, kept(nucleus));
        assertEquals(0, nucleus[1]);
    }

    private static long kept(double[] p) {
        return java.util.Arrays.stream(p).filter(x -> x > 0).count();
    }

    @Test
    void drawsFollowTheNucleusDistribution() {
        TokenPicker picker = new TokenPicker(1, 0, 0.6, 7);
        int[] counts = new int[4];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            counts[picker.pick(LOGITS)]++;
        }
        assertEquals(0, counts[1] + counts[3], "tokens outside the nucleus were drawn");
        assertEquals(0.625, counts[2] / (double) draws, 0.02);
    }

    @Test
    void temperatureZeroIsArgmaxAndSameSeedSameDraws() {
        assertEquals(2, TokenPicker.greedy().pick(LOGITS));
        TokenPicker a = new TokenPicker(0.8, 3, 0.95, 42);
        TokenPicker b = new TokenPicker(0.8, 3, 0.95, 42);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.pick(LOGITS), b.pick(LOGITS));
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TokenPicker(-1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenPicker(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenPicker(1, 0, 1.01, 0));
        assertTrue(new TokenPicker(1, 0, 1, 0).pick(LOGITS) >= 0);
    }
}
