package dev.tlab.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.ModelKeyVariants;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryEstimateTest {

    private static RunConfig config(String... sets) {
        List<String> all = new ArrayList<>(List.of("model.layers=2", "model.d_model=64", "model.heads=4",
                "model.context=32", "train.batch_size=4", "train.device=cpu"));
        all.addAll(List.of(sets));
        return ConfigLoader.parse("name: t\n", "test", Path.of("."), "t", all);
    }

    private static MemoryEstimate estimate(String... sets) {
        RunConfig run = config(sets);
        return MemoryEstimate.of(run.model().forVocabulary(65), run.train());
    }

    /**
     * Every model key changes the estimate for some value (in some base: a relative-position key
     * acts only with relative positions), or is named in {@link MemoryEstimate#NO_EFFECT}: a key
     * added later fails here until the estimate knows it.
     */
    @Test
    void everyModelKeyIsCountedOrDeclaredWithoutEffect() {
        for (String key : ModelKeys.keys()) {
            if (MemoryEstimate.NO_EFFECT.contains(key)) {
                continue;
            }
            boolean changes = false;
            for (List<String> base : ModelKeyVariants.BASES) {
                RunConfig plain = ModelKeyVariants.tryLoad(base);
                MemoryEstimate before = MemoryEstimate.of(plain.model().forVocabulary(65), plain.train());
                for (String value : ModelKeyVariants.values(key)) {
                    RunConfig run = ModelKeyVariants.tryLoad(base, key, value);
                    if (run != null && !MemoryEstimate.of(run.model().forVocabulary(65), run.train()).equals(before)) {
                        changes = true;
                    }
                }
            }
            assertTrue(changes, "model." + key + " changes no estimate and is not in MemoryEstimate.NO_EFFECT;"
                    + " the memory estimate does not know this key");
        }
    }

    @Test
    void countsTheModelsParameters() {
        RunConfig run = config();
        ModelConfig model = run.model().forVocabulary(65);
        assertEquals(model.parameterCount(), estimate().parameters());
        // fp32: weights, gradients and their packed copy, then two moments: 20 bytes a parameter.
        assertEquals(20 * model.parameterCount(), estimate().weightBytes() + estimate().optimizerBytes());
    }

    /** bf16 holds what fp16 does: 2-byte copies of weights, gradients and activations; fp32 holds more. */
    @Test
    void bf16NeedsWhatFp16Needs() {
        MemoryEstimate half = estimate("train.precision=fp16");
        MemoryEstimate brain = estimate("train.precision=bf16");
        assertEquals(half, brain);
        assertTrue(brain.weightBytes() > estimate().weightBytes() && brain.activationBytes() < estimate().activationBytes(),
                brain.describe() + " against fp32 " + estimate().describe());
    }

    @Test
    void scalesWithTheMicroBatchNotWithGradientAccumulation() {
        MemoryEstimate one = estimate();
        MemoryEstimate twice = estimate("train.batch_size=8");
        // Per-token activations double exactly; only the per-block bookkeeping stays (2 layers here).
        double perToken = one.activationBytes() - 2 * MemoryEstimate.BYTES_PER_BLOCK;
        assertTrue(perToken > 0.5 * one.activationBytes(), one.describe());
        assertEquals(2 * perToken + 2 * MemoryEstimate.BYTES_PER_BLOCK, twice.activationBytes(), 1e-9 * one.activationBytes());
        assertEquals(2 * one.attentionBytes(), twice.attentionBytes(), 1e-6 * one.attentionBytes());
        assertEquals(one.totalBytes(), estimate("train.grad_accum=8").totalBytes());
        // Attention scores grow with the square of the context.
        assertEquals(4 * one.attentionBytes(), estimate("model.context=64").attentionBytes(), 1e-6 * one.attentionBytes());
    }

    @Test
    void hugeSizesGiveHugeFiniteEstimatesNamingTheirKeys() {
        MemoryEstimate wide = estimate("model.d_model=1000000");
        assertTrue(wide.totalBytes() > 1e14 && Double.isFinite(wide.totalBytes()));
        assertTrue(wide.drivers().contains("model.d_model"), wide.drivers());
        MemoryEstimate deep = estimate("model.layers=1000000");
        assertTrue(deep.totalBytes() > 1e12, deep.describe());
        assertTrue(deep.drivers().contains("model.layers"), deep.drivers());
        MemoryEstimate longContext = estimate("model.context=100000");
        assertTrue(longContext.drivers().contains("model.context"), longContext.drivers());
        MemoryEstimate widest = estimate("model.d_model=2147483644", "model.d_ff=2147483647");
        assertTrue(Double.isFinite(widest.totalBytes()) && widest.totalBytes() > 1e20, widest.describe());
    }

    @Test
    void refusesAConfigThatCannotFitAndPassesOneThatCan() {
        RunConfig tiny = config();
        assertTrue(AvailableMemory.require(tiny.model().forVocabulary(65), tiny.train(), Device.cpu()).totalBytes() > 0);
        RunConfig huge = config("model.layers=1000000");
        ConfigException refused = assertThrows(ConfigException.class,
                () -> AvailableMemory.require(huge.model().forVocabulary(65), huge.train(), Device.cpu()));
        assertTrue(refused.getMessage().startsWith("this run needs about "), refused.getMessage());
        assertTrue(refused.getMessage().contains("model.layers"), refused.getMessage());
    }

    @Test
    void anAllocationFailureInsideLibtorchBecomesOneNamedError() {
        EngineException failure = new EngineException("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator:"
                + " can't allocate memory: you tried to allocate 12000000000000 bytes. Error code 12");
        RuntimeException named = AvailableMemory.explain(failure, estimate(), Device.cpu());
        assertTrue(named instanceof ConfigException, named.toString());
        assertTrue(named.getMessage().startsWith("out of memory on cpu()"), named.getMessage());
        assertTrue(named.getMessage().contains("the estimate for this run was"), named.getMessage());
        EngineException other = new EngineException("shape mismatch");
        assertSame(other, AvailableMemory.explain(other, estimate(), Device.cpu()));
    }

    @Test
    void printsSizesInDecimalUnits() {
        assertEquals("980 B", MemoryEstimate.bytes(980));
        assertEquals("1.5 GB", MemoryEstimate.bytes(1.5e9));
        assertEquals("12.0 MB", MemoryEstimate.bytes(12e6));
    }
}
