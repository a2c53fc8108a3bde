package dev.tlab.train.listeners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.TrainConfig;
import dev.tlab.models.TokenModel;
import dev.tlab.train.Evaluation;
import dev.tlab.train.StepResult;
import dev.tlab.train.Task;
import java.util.List;
import java.util.Map;

/** Events and a stand-in task for testing listeners one at a time. */
final class Events {

    private Events() {}

    /** Step {@code step} with train loss {@code step / 100} on reporting steps, 64 tokens a step. */
    static StepResult step(long step, boolean reports) {
        return new StepResult(step, 1e-3, reports ? step / 100.0 : Double.NaN, 0, true, reports, 64 * step,
                reports ? 1000 : Double.NaN, step * 0.5);
    }

    static Evaluation evaluation(long step, double valLoss) {
        return new Evaluation(step, 64 * step, valLoss, Map.of());
    }

    /** The shipped config's train section with {@code overrides}. */
    static TrainConfig train(String... overrides) {
        return ConfigLoader.load(java.nio.file.Path.of("../configs/shakespeare-char.yaml"), List.of(overrides)).train();
    }

    /** A task whose validation batch {@code i} has loss {@code i + 1} and whose samples are {@code samples}. */
    static Task task(String samples) {
        return new Task() {
            @Override
            public TokenModel model() {
                throw new UnsupportedOperationException();
            }

            @Override
            public NDArray trainLoss(ParameterStore ps, NDManager manager, long step, int micro) {
                throw new UnsupportedOperationException();
            }

            @Override
            public NDArray valLoss(ParameterStore ps, NDManager manager, int index) {
                return manager.create((float) index + 1);
            }

            @Override
            public Map<String, Double> evalMetrics(ParameterStore ps, NDManager manager, double valLoss) {
                return Map.of("exact_match", 0.5);
            }

            @Override
            public long tokensPerMicroBatch() {
                return 64;
            }

            @Override
            public dev.tlab.tokenize.Tokenizer tokenizer() {
                return new dev.tlab.tokenize.CharTokenizer("ab");
            }

            @Override
            public String describe() {
                return "stand-in";
            }

            @Override
            public String samples(ParameterStore ps, NDManager manager, long seed) {
                return samples;
            }
        };
    }
}
