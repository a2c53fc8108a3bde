package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.profile.Phase;
import dev.tlab.profile.StepProfiler;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilerTest {

    @TempDir
    Path dir;

    @Test
    void writesTheTableOnceTheProfiledStepsHaveRun() throws Exception {
        Engine.getInstance().setRandomSeed(1);
        StringBuilder said = new StringBuilder();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig config = ModelConfig.builder().vocabSize(10).layers(1).heads(2).dModel(8).context(4).build();
            DecoderLM model = DecoderLM.create(config, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            var profiler = new Profiler(StepProfiler.create(1, model, Device.cpu()), dir, said::append);
            int needed = StepProfiler.stepsNeeded(1);
            for (long step = 0; step < needed; step++) {
                assertFalse(Files.exists(dir.resolve(Profiler.FILE)), "written before step " + step + " ended");
                assertNull(profiler.table());
                profiler.onStepStart(step);
                try (NDScope ignored = new NDScope();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    var loss = model.forward(ps, manager.create(new long[] {1, 2, 3, 4}, new Shape(1, 4)), true).mean();
                    profiler.onPhaseEnd(Phase.FORWARD);
                    collector.backward(loss);
                    profiler.onPhaseEnd(Phase.BACKWARD);
                }
                for (Phase phase : new Phase[] {Phase.CLIP, Phase.BOOKKEEPING, Phase.OPTIMIZER}) {
                    profiler.onPhaseEnd(phase);
                }
                profiler.onStepEnd(Events.step(step + 1, false));
            }
            assertNotNull(profiler.table());
            String table = Files.readString(dir.resolve(Profiler.FILE));
            assertEquals(profiler.table().format(), table);
            assertTrue(said.toString().contains(table));
        }
    }
}
