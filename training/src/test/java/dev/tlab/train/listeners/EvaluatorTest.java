package dev.tlab.train.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.tlab.precision.FullPrecision;
import dev.tlab.train.Evaluation;
import dev.tlab.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    @Test
    void evaluatesEveryEvalEveryStepsAndAfterTheLastWithTheMeanOverBatches() {
        List<Evaluation> heard = new ArrayList<>();
        TrainingListener audience = new TrainingListener() {
            @Override
            public void onEvaluation(Evaluation evaluation) {
                heard.add(evaluation);
            }
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            var evaluator = new Evaluator(Events.task(""), new FullPrecision(manager), manager,
                    Events.train("train.steps=25", "train.eval_every=10", "train.eval_batches=4"), audience);
            for (long step = 1; step <= 25; step++) {
                evaluator.onStepEnd(Events.step(step, step % 5 == 0));
            }
            assertEquals(List.of(10L, 20L, 25L), heard.stream().map(Evaluation::step).toList());
            // Batches have losses 1, 2, 3, 4.
            assertEquals(2.5, heard.get(0).valLoss(), 1e-9);
            assertEquals(Map.of("exact_match", 0.5), heard.get(0).metrics());
            assertEquals(64 * 20, heard.get(1).tokensSeen());
            assertEquals(heard.get(2), evaluator.last());
        }
    }
}
