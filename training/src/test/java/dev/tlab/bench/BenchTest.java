package dev.tlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTest {

    @TempDir Path dir;

    @Test
    void matmulProbeGivesAPositiveFiniteRate() {
        try (MatmulProbe probe = new MatmulProbe(Device.cpu(), 32, DataType.FLOAT32)) {
            double rate = probe.rate();
            assertTrue(rate > 0 && Double.isFinite(rate), "rate " + rate);
        }
    }

    @Test
    void peakIsTheBestOfItsSizes() {
        assertEquals(List.of(16, 32, 64), java.util.Arrays.stream(MatmulPeak.sizes(64)).boxed().toList());
        MatmulPeak peak = MatmulPeak.measure(Device.cpu(), 64, DataType.FLOAT32);
        assertTrue(peak.flops() > 0 && Double.isFinite(peak.flops()), "peak " + peak);
        assertTrue(List.of(16, 32, 64).contains(peak.size()), "size " + peak.size());
    }

    @Test
    void benchTimesTheWindowAndCountsTokensAsTheTrainerDoes() {
        List<String> overrides = new ArrayList<>(List.of("model.layers=1", "model.d_model=32", "model.context=16",
                "train.batch_size=4", "train.grad_accum=2", "train.device=cpu"));
        overrides.addAll(Bench.overrides(10, 0, dir));
        RunConfig run = ConfigLoader.load(Path.of("../configs/shakespeare-char.yaml"), overrides);

        BenchResult bench = new Bench(3, 128, 2, 2).run(run);

        assertEquals(10, bench.steps());
        assertEquals(3, bench.warmupSteps());
        assertEquals(6, bench.throughput().steps(), "steps 4 to 9: the last step evaluates and saves");
        assertEquals(4 * 2 * 16, bench.throughput().tokensPerStep(), "batch x grad_accum x context");
        assertEquals(run.model().forVocabulary(65).trainingFlopsPerToken(), bench.throughput().flopsPerToken());
        assertTrue(bench.throughput().seconds() > 0, "seconds " + bench.throughput().seconds());
        assertTrue(bench.mfu() > 0 && Double.isFinite(bench.mfu()), "MFU " + bench.mfu());
        // Samples after steps 5 and 7, inside the window; at the first peak's size.
        assertEquals(2, bench.alongside().count());
        assertEquals(bench.before().size(), bench.alongside().n());
        assertEquals(List.of(2L, 4L, 6L, 8L, 10L), bench.memory().samples().stream().map(MemoryTrace.Sample::step).toList());
        assertEquals(4, bench.memory().settledFrom());
        assertEquals(DataType.FLOAT32, bench.peakType());
        assertNull(bench.profile());
    }
}
