package dev.tlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.models.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputTest {

    /** nanoGPT's baby GPT: 4 layers, d 128, 4 heads, context 64, vocab 65, tied embeddings. */
    private static final ModelConfig BABY = ModelConfig.builder().vocabSize(65).build();

    // 6 x (12 L d^2 + 13 L d + V d + 2 d), the position table left out, + 12 L d T.
    private static final double BABY_FLOPS_PER_TOKEN =
            6.0 * (12 * 4 * 128 * 128 + 13 * 4 * 128 + 65 * 128 + 2 * 128) + 12.0 * 4 * 128 * 64;

    /** 10 steps of 8 x 64 tokens in half a second. */
    private static final Throughput BABY_RUN = new Throughput(10, 0.5, 8 * 64, BABY.trainingFlopsPerToken());

    @Test
    void flopsPerTokenOfTheBabyGpt() {
        assertEquals(5_203_200.0, BABY_FLOPS_PER_TOKEN);
        assertEquals(BABY_FLOPS_PER_TOKEN, BABY.trainingFlopsPerToken());
    }

    @Test
    void tokensPerSecondAndStepTime() {
        assertEquals(10_240.0, BABY_RUN.tokensPerSecond());
        assertEquals(50.0, BABY_RUN.msPerStep(), 1e-12);
    }

    @Test
    void mfuIsAchievedFlopsOverThePeak() {
        // 10,240 tokens/s x 5,203,200 FLOPs/token = 53.28 GFLOP/s, against a 100 GFLOP/s peak.
        assertEquals(53_280_768_000.0, BABY_RUN.achievedFlops());
        assertEquals(0.53280768, BABY_RUN.mfu(100e9), 1e-15);
    }

    private static BenchResult result(double before, double after, List<Double> alongside) {
        return new BenchResult(null, null, new MatmulPeak(before, 512), new MatmulPeak(after, 1024), 12, 2, BABY_RUN,
                new MatmulSamples(512, alongside), new MemoryTrace(List.of(), 3), null, null);
    }

    @Test
    void strictMfuTakesTheHigherPeakReading() {
        BenchResult lowAfter = result(100e9, 80e9, List.of());
        assertEquals(100e9, lowAfter.peakFlops());
        assertEquals(0.53280768, lowAfter.mfu(), 1e-15);
        BenchResult lowBefore = result(50e9, 100e9, List.of());
        assertEquals(0.53280768, lowBefore.mfu(), 1e-15);
    }

    @Test
    void mfuAlongsideIsAgainstTheMedianSample() {
        // Sorted 40, 80, 100, 120: the median is the mean of the middle two, 90 GFLOP/s.
        BenchResult even = result(100e9, 100e9, List.of(80e9, 120e9, 40e9, 100e9));
        assertEquals(90e9, even.alongside().median());
        assertEquals(53.280768 / 90, even.mfuAlongside(), 1e-15);
        assertEquals(40e9, even.alongside().min());
        assertEquals(120e9, even.alongside().max());

        BenchResult odd = result(100e9, 100e9, List.of(120e9, 40e9, 60e9));
        assertEquals(60e9, odd.alongside().median());
        assertEquals(53.280768 / 60, odd.mfuAlongside(), 1e-15);
        assertEquals(List.of(120e9, 40e9, 60e9), odd.alongside().flops(), "kept in the order taken");
    }

    @Test
    void withoutSamplesThereIsNoMfuAlongside() {
        BenchResult none = result(100e9, 100e9, List.of());
        assertTrue(none.alongside().isEmpty());
        assertTrue(Double.isNaN(none.alongside().median()));
        assertTrue(Double.isNaN(none.mfuAlongside()));
    }
}
