package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import dev.tlab.data.BatchSampler;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.data.Corpus;
import dev.tlab.layers.Biases;
import dev.tlab.layers.FfnKind;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.GlobalNormClip;
import dev.tlab.positional.PositionalKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Placement x norm x positional scheme x FFN: each trains on the shipped corpus without NaN. */
class EveryCombinationTrainsTest {

    private static final int STEPS = 30;
    private static int[] tokens;
    private static int vocab;

    @BeforeAll
    static void readCorpus() {
        String text = Corpus.read(Path.of("../examples/data/tinyshakespeare/input.txt")).substring(0, 200_000);
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        tokens = tokenizer.encode(text);
        vocab = tokenizer.vocabSize();
    }

    static Stream<Arguments> combinations() {
        List<Arguments> all = new ArrayList<>();
        for (NormPlacement placement : NormPlacement.values()) {
            for (NormType norm : NormType.values()) {
                for (PositionalKind positional : PositionalKind.values()) {
                    for (FfnKind ffn : FfnKind.values()) {
                        all.add(Arguments.of(placement, norm, positional, ffn));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("combinations")
    void trainsAndTheLossFalls(NormPlacement placement, NormType norm, PositionalKind positional, FfnKind ffn) {
        ModelConfig config = ModelConfig.builder().vocabSize(vocab).layers(2).heads(4).dModel(32).context(32)
                .normPlacement(placement).norm(norm).positional(positional).ffn(ffn).build();
        trains(config, placement + "/" + norm + "/" + positional + "/" + ffn);
    }

    /** The parts of today's open models, on a small Llama (pre-norm, RMSNorm, RoPE, SwiGLU) and on a GPT. */
    static Stream<Arguments> modernParts() {
        List<Arguments> all = new ArrayList<>();
        Map<String, UnaryOperator<ModelConfig.Builder>> parts = new LinkedHashMap<>();
        parts.put("multi-query", b -> b.kvHeads(1));
        parts.put("grouped-query", b -> b.kvHeads(2));
        parts.put("wide heads", b -> b.headDim(16).kvHeads(2));
        parts.put("qk-norm", b -> b.qkNorm(true).kvHeads(2));
        parts.put("q/k/v biases only", b -> b.bias(new Biases(true, false, false, false)));
        parts.put("no biases", b -> b.bias(false));
        for (var part : parts.entrySet()) {
            all.add(Arguments.of("llama " + part.getKey(), part.getValue().apply(ModelConfig.builder().norm(NormType.RMSNORM)
                    .positional(PositionalKind.ROPE).ffn(FfnKind.SWIGLU).tieEmbeddings(false))));
            all.add(Arguments.of("gpt " + part.getKey(), part.getValue().apply(ModelConfig.builder())));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modernParts")
    void modernPartsTrainAndTheLossFalls(String what, ModelConfig.Builder parts) {
        trains(parts.vocabSize(vocab).layers(2).heads(4).dModel(32).context(32).build(), what);
    }

    private static void trains(ModelConfig config, String what) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            DecoderLM model = DecoderLM.create(config, manager);
            ParameterStore ps = new ParameterStore(manager, false);
            AdamW optimizer = new AdamW(model.namedParameters(), 0.9, 0.99, 1e-8, 0.1, AdamW.State.FRESH);
            BatchSampler batches = new BatchSampler(tokens, 8, config.context(), 7);
            double[] losses = new double[STEPS];
            for (int step = 0; step < STEPS; step++) {
                double scale;
                try (NDScope ignored = new NDScope()) {
                    losses[step] = Steps.forwardBackward(model, ps, manager, batches, step, 1).getFloat();
                    scale = GlobalNormClip.factor(optimizer.gradientNorm(), 1.0);
                }
                optimizer.step(3e-3 * Math.min(1.0, (step + 1) / 5.0), scale);
            }
            for (double loss : losses) {
                assertTrue(Double.isFinite(loss), what + ": non-finite loss");
            }
            // 30 steps: each combination trains without NaN and its loss falls from uniform guessing
            // (ln 65 = 4.17). No test of attention or positions (docs/TESTING.md says which are).
            double first = (losses[0] + losses[1] + losses[2]) / 3;
            double last = (losses[STEPS - 1] + losses[STEPS - 2] + losses[STEPS - 3]) / 3;
            assertTrue(last < first - 0.5, what + ": loss went from " + first + " to " + last);
        }
    }
}
