package dev.tlab.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.inspect.ConfigReport;
import dev.tlab.models.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A LoRA run's estimate: the adapter trains (weights, gradients, moments), the base is only held. */
class LoraMemoryEstimateTest {

    private static RunConfig config(String... sets) {
        List<String> all = new ArrayList<>(List.of("model.layers=2", "model.d_model=64", "model.heads=4",
                "model.context=32", "train.batch_size=4", "train.device=cpu"));
        all.addAll(List.of(sets));
        return ConfigLoader.parse("name: t\n", "test", Path.of("."), "t", all);
    }

    private static MemoryEstimate estimate(RunConfig run) {
        return MemoryEstimate.of(run.model().forVocabulary(65), run.train(), run.finetune());
    }

    @Test
    void theBaseHasNoGradientsOrMomentsAndHalvesInHalfPrecision() {
        RunConfig full = config();
        RunConfig lora = config("finetune.method=lora", "finetune.lora.rank=4", "finetune.lora.targets=[q, v]");
        ModelConfig model = full.model().forVocabulary(65);
        double base = model.parameters();
        // q and v: rank (in + out) each, in every layer.
        double adapter = 2 * 2 * 4 * (64 + 64);
        assertEquals(adapter, lora.finetune().lora().parameters(model));
        MemoryEstimate f = estimate(full);
        MemoryEstimate l = estimate(lora);
        assertEquals(base, f.parameters());
        assertEquals(adapter, l.parameters());
        assertEquals(base, l.frozenParameters());
        assertEquals(base * 12, f.weightBytes());
        assertEquals(adapter * 12 + base * 4, l.weightBytes());
        assertEquals(adapter * 8, l.optimizerBytes());
        assertEquals(f.activationBytes(), l.activationBytes(), "the base's activations are still kept for backward");
        MemoryEstimate half = estimate(config("finetune.method=lora", "finetune.lora.rank=4", "finetune.lora.targets=[q, v]",
                "train.precision=fp16", "finetune.base_precision=fp16"));
        assertEquals(adapter * 16 + base * 2, half.weightBytes());
        MemoryEstimate halfRunFullBase = estimate(config("finetune.method=lora", "finetune.lora.rank=4",
                "finetune.lora.targets=[q, v]", "train.precision=fp16"));
        assertEquals(adapter * 16 + base * 6, halfRunFullBase.weightBytes(), "fp32 base plus its per-step half copy");
        assertTrue(l.describe().contains(String.format(java.util.Locale.ROOT, "%,d trained + %,d frozen",
                Math.round(adapter), Math.round(base))), l.describe());
    }

    @Test
    void dryRunReportsTheAdapter() {
        String text = ConfigReport.of(config("finetune.method=lora", "finetune.lora.rank=4", "finetune.lora.targets=[q, v]",
                "data.path=../examples/data/tinyshakespeare/input.txt")).text();
        assertTrue(text.contains("finetune: lora, rank 4, alpha 16.0, targets q, v: 2,048 adapter parameters train;"
                + " the base is frozen in fp32"), text);
        assertTrue(text.contains("trained + "), text);
    }
}
