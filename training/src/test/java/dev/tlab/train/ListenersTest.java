package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tlab.profile.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenersTest {

    /** Records the events it hears as "name:event". */
    private record Recorder(String name, List<String> heard) implements TrainingListener {
        @Override
        public void onStepStart(long step) {
            heard.add(name + ":start " + step);
        }

        @Override
        public void onPhaseEnd(Phase phase) {
            heard.add(name + ":" + phase);
        }

        @Override
        public void onStepEnd(StepResult step) {
            heard.add(name + ":end " + step.step());
        }

        @Override
        public void onEvaluation(Evaluation evaluation) {
            heard.add(name + ":eval " + evaluation.step());
        }

        @Override
        public void onTrainingEnd(RunEnd end) {
            heard.add(name + ":done");
        }
    }

    @Test
    void everyEventReachesEveryListenerInTheOrderTheyWereAdded() {
        List<String> heard = new ArrayList<>();
        Listeners listeners = new Listeners();
        listeners.add(new Recorder("a", heard));
        // An evaluator-like listener: it tells everyone about an evaluation while it hears the step.
        listeners.add(new TrainingListener() {
            @Override
            public void onStepEnd(StepResult step) {
                listeners.onEvaluation(new Evaluation(step.step(), 0, 1, Map.of()));
            }
        });
        listeners.add(new Recorder("b", heard));
        listeners.onStepStart(0);
        listeners.onPhaseEnd(Phase.FORWARD);
        listeners.onStepEnd(new StepResult(1, 0, 0, 0, true, true, 0, 0, 0));
        listeners.onTrainingEnd(null);
        assertEquals(List.of("a:start 0", "b:start 0", "a:FORWARD", "b:FORWARD",
                "a:end 1", "a:eval 1", "b:eval 1", "b:end 1", "a:done", "b:done"), heard);
    }
}
