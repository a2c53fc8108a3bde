package dev.tlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

class MemoryTraceTest {

    /** RSS (MiB) every 1,000 of 20,000 steps, as measured: the heap settles by step 4,000, then flat. */
    private static final long[] SETTLING = {394, 517, 547, 553, 554, 554, 554, 554, 554, 554, 554, 554,
        554, 554, 554, 554, 554, 554, 554, 524};

    /** 20 samples, one every 1,000 steps of 20,000, after 10 warm-up steps. */
    private static MemoryTrace trace(LongUnaryOperator mib) {
        List<MemoryTrace.Sample> samples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(new MemoryTrace.Sample(1000L * (i + 1), mib.applyAsLong(i) << 20));
        }
        return new MemoryTrace(samples, MemoryTrace.settledFrom(10, 20000));
    }

    @Test
    void settledSamplesStartAfterTheFirstQuarterAndTheWarmUp() {
        assertEquals(5000, MemoryTrace.settledFrom(10, 20000));
        assertEquals(11, MemoryTrace.settledFrom(10, 20), "never inside the warm-up");
        MemoryTrace flat = trace(i -> 400);
        assertEquals(16, flat.settled().size());
        assertEquals(5000, flat.baseline().step());
        assertEquals(20, flat.samples().size(), "every sample is kept for the trace");
    }

    @Test
    void growthIgnoresSettlingButCatchesALeak() {
        assertEquals(0.0, trace(i -> SETTLING[(int) i]).growth(), 1e-9, "flat after the first quarter");
        // 1 MiB per 1,000 steps on top of the same curve: 15 MiB over the last 15 samples, 2.7%.
        double slowLeak = trace(i -> SETTLING[(int) i] + i).growth();
        assertTrue(slowLeak > 0.02, "slow leak shows: " + slowLeak);
        double fastLeak = trace(i -> 400 + 10 * i).growth();
        assertTrue(fastLeak > 0.05, "leak over the 5% bound: " + fastLeak);
        // Baseline 440 MiB at step 5,000, highest 590 MiB at step 20,000.
        assertEquals(590.0 / 440 - 1, fastLeak, 1e-12);
    }

    @Test
    void fewerThanTwoSettledSamplesHaveNoGrowth() {
        MemoryTrace early = new MemoryTrace(List.of(new MemoryTrace.Sample(2, 100), new MemoryTrace.Sample(9, 200)), 5);
        assertTrue(Double.isNaN(early.growth()));
        assertEquals(9, early.baseline().step());
        MemoryTrace none = new MemoryTrace(List.of(new MemoryTrace.Sample(2, 100)), 5);
        assertNull(none.baseline());
        assertTrue(Double.isNaN(none.growth()));
    }
}
