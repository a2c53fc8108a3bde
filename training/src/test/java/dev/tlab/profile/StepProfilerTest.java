package dev.tlab.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepProfilerTest {

    private static final Path SHIPPED = Path.of("../configs/shakespeare-char.yaml");
    private static final List<Part> SUBLAYERS =
            List.of(Part.EMBEDDING, Part.ATTENTION, Part.FFN, Part.NORM, Part.HEAD);

    @TempDir Path dir;

    private RunConfig run(String name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("output.dir=" + dir, "name=" + name, "train.device=cpu",
                "model.layers=2", "model.d_model=64", "model.heads=2", "model.context=32", "train.batch_size=8",
                "train.steps=7", "train.warmup=2", "train.eval_every=7", "train.eval_batches=1", "sample.tokens=0"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(SHIPPED, all);
    }

    @Test
    void decoderProfileHasEveryPartAndAddsUpToTheStep() throws Exception {
        Trainer trainer = new Trainer(run("profiled", "train.profile_steps=4"), null, false);
        Trainer.Result result = trainer.fit();
        ProfileTable table = trainer.profile();
        String text = table.format();
        assertEquals(4, table.steps());
        assertTrue(table.backwardNote().startsWith("backward split by part from a PyTorch profiler trace"), text);
        for (Part part : SUBLAYERS) {
            assertTrue(table.row(part).forwardMs() > 0, part + " forward missing:\n" + text);
            assertTrue(table.row(part).backwardMs() > 0, part + " backward missing:\n" + text);
        }
        for (Part part : List.of(Part.LOSS, Part.DATA, Part.CLIP, Part.OPTIMIZER)) {
            assertTrue(table.row(part).totalMs() > 0, part + " missing:\n" + text);
        }
        // The rows are measured separately; together they must account for the whole step.
        assertEquals(table.stepWallMs(), table.totalMs(), 0.05 * table.stepWallMs(), text);
        double sublayers = SUBLAYERS.stream().mapToDouble(p -> table.row(p).totalMs()).sum();
        assertTrue(sublayers > 0.3 * table.totalMs(), "sublayers account for little of the step:\n" + text);
        assertEquals(text, Files.readString(result.runDir().resolve("profile.txt")));
    }

    @Test
    void profilingChangesNoNumbersAndOffMeansNoProfile() {
        Trainer plain = new Trainer(run("plain"), null, false);
        Trainer.Result a = plain.fit();
        Trainer.Result b = new Trainer(run("profiled", "train.profile_steps=2"), null, false).fit();
        // Markers are exact identities and clocks touch no arrays: the same seed gives the same bits
        // (a marker that scaled its input by 1 + 1e-6 would show here).
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "markers and clocks must not change the arithmetic");
        assertEquals(a.valLoss(), b.valLoss(), 0.0);
        assertNull(plain.profile());
        assertFalse(Files.exists(a.runDir().resolve("profile.txt")));
    }

    @Test
    void timerOffRecordsNothing() {
        Engine.getInstance().setRandomSeed(1);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig config = ModelConfig.builder().vocabSize(10).layers(1).heads(2).dModel(8).context(4).build();
            DecoderLM model = DecoderLM.create(config, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            WallClockTimer clock = new WallClockTimer(() -> {});

            StepProfiler off = StepProfiler.off();
            for (long step = 0; step < 8; step++) {
                off.startStep();
                assertSame(SublayerTimer.OFF, model.timer());
                forwardBackward(model, ps, manager);
                off.lap(Phase.FORWARD);
                assertFalse(off.endStep());
            }
            assertNull(off.table());
            for (SublayerKind kind : SublayerKind.values()) {
                assertEquals(0, clock.nanos(kind), kind + " timed with the timer off");
            }

            model.setTimer(clock);
            forwardBackward(model, ps, manager);
            for (SublayerKind kind : SublayerKind.values()) {
                assertTrue(clock.nanos(kind) > 0, kind + " not timed with the timer on");
            }
        }
    }

    @Test
    void stepsOutsideTheProfileAreNotTimed() {
        Engine.getInstance().setRandomSeed(1);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig config = ModelConfig.builder().vocabSize(10).layers(1).heads(2).dModel(8).context(4).build();
            DecoderLM model = DecoderLM.create(config, manager);
            StepProfiler profiler = StepProfiler.create(1, model, Device.cpu());
            for (long step = 0; step < StepProfiler.WARMUP_STEPS; step++) {
                profiler.startStep();
                assertSame(SublayerTimer.OFF, model.timer(), "warm-up step " + step + " is timed");
                assertFalse(profiler.endStep());
            }
            profiler.startStep();
            assertTrue(model.timer() instanceof WallClockTimer);
            profiler.endStep();
            assertSame(SublayerTimer.OFF, model.timer(), "the timer stays on after its step");
        }
    }

    private static void forwardBackward(DecoderLM model, ParameterStore ps, NDManager manager) {
        try (var scope = new ai.djl.ndarray.NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            var tokens = manager.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
            collector.backward(model.forward(ps, tokens, true).mean());
        }
    }
}
