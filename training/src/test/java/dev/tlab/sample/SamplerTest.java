package dev.tlab.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.config.SampleConfig;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.positional.PositionalKind;
import dev.tlab.profile.SublayerKind;
import dev.tlab.sample.Sampler.End;
import dev.tlab.sample.Sampler.Sample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final CharTokenizer TOKENIZER = new CharTokenizer("\nabcdefghij ");
    private static final int CONTEXT = 8;

    private static SampleConfig options(String prompt, int tokens, double temperature, double topP, String stop,
            ContextLimit limit) {
        return new SampleConfig(prompt, tokens, temperature, 0, topP, stop, limit);
    }

    /** Runs {@code test} with a fresh random decoder (context 8) under {@code scheme}. */
    private static void withSampler(PositionalKind scheme, java.util.function.BiConsumer<Sampler, DecoderLM> test) {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig config = ModelConfig.builder().vocabSize(TOKENIZER.vocabSize()).layers(2).heads(2).dModel(16)
                    .context(CONTEXT).positional(scheme).build();
            DecoderLM model = DecoderLM.create(config, manager);
            test.accept(new Sampler(model, new ParameterStore(manager, false), manager, TOKENIZER), model);
        }
    }

    @Test
    void cachedSamplingMatchesFullRecomputeForEveryScheme() {
        // 20 tokens through a context of 8: the window slides (and the cache is rebuilt) 3 times.
        for (PositionalKind scheme : PositionalKind.values()) {
            withSampler(scheme, (sampler, model) -> {
                SampleConfig o = options("ab", 20, 1.0, 0.95, "", ContextLimit.SLIDE);
                Sample cached = sampler.cached(true).generate(o, 5);
                Sample full = sampler.cached(false).generate(o, 5);
                assertEquals(full.output(), cached.output(), scheme.toString());
                assertEquals(20, cached.tokens());
            });
        }
    }

    @Test
    void cachedSamplingFeedsOneTokenPerForward() {
        withSampler(PositionalKind.ROPE, (sampler, model) -> {
            List<Long> fed = new ArrayList<>();
            model.setTimer((kind, x, f) -> {
                if (kind == SublayerKind.EMBEDDING && x.getDataType().isInteger()) {
                    fed.add(x.getShape().get(1));
                }
                return f.apply(x);
            });
            sampler.generate(options("abc", 20, 1.0, 1, "", ContextLimit.SLIDE), 3);
            // Prefill of 3; single tokens until the window holds 8; a rebuild from the newest 4; and so on.
            assertEquals(List.of(3L, 1L, 1L, 1L, 1L, 4L, 1L, 1L, 1L, 4L, 1L, 1L, 1L, 4L, 1L, 1L, 1L, 4L, 1L, 1L), fed);
            fed.clear();
            sampler.cached(false).generate(options("abc", 6, 1.0, 1, "", ContextLimit.SLIDE), 3);
            assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 4L), fed, "without the cache each token re-runs the window");
        });
    }

    @Test
    void stopTextEndsGenerationAndIsLeftOut() {
        withSampler(PositionalKind.LEARNED, (sampler, model) -> {
            String free = sampler.generate(options("a", 30, 1.0, 1, "", ContextLimit.SLIDE), 9).output();
            String stop = free.substring(12, 14);
            Sample stopped = sampler.generate(options("a", 30, 1.0, 1, stop, ContextLimit.SLIDE), 9);
            assertEquals(End.STOP_TEXT, stopped.end());
            assertEquals(free.substring(0, free.indexOf(stop)), stopped.output());
            assertTrue(!stopped.output().contains(stop));
        });
    }

    @Test
    void contextLimitStopsOrSlides() {
        withSampler(PositionalKind.LEARNED, (sampler, model) -> {
            Sample stopped = sampler.generate(options("ab", 100, 1.0, 1, "", ContextLimit.STOP), 1);
            assertEquals(End.CONTEXT, stopped.end());
            assertEquals(CONTEXT, stopped.text().length(), "prompt plus output fill the context exactly");
            assertEquals(CONTEXT - 2, stopped.tokens());

            Sample full = sampler.generate(options("abcdefghij", 5, 1.0, 1, "", ContextLimit.STOP), 1);
            assertEquals(0, full.tokens(), "a prompt that already fills the context leaves no room");

            // Learned positions cannot place token 9, so sliding is the only way on; it must not fail.
            Sample slid = sampler.generate(options("ab", 30, 1.0, 1, "", ContextLimit.SLIDE), 1);
            assertEquals(End.TOKENS, slid.end());
            assertEquals(30, slid.output().length());
            assertEquals(stopped.output(), slid.output().substring(0, CONTEXT - 2), "the same draws up to the limit");
        });
    }
}
