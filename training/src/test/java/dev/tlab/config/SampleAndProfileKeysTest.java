package dev.tlab.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tlab.errors.ConfigException;
import dev.tlab.sample.ContextLimit;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleAndProfileKeysTest {

    private static RunConfig parse(String... overrides) {
        return ConfigLoader.parse("", "test.yaml", Path.of("."), "test", List.of(overrides));
    }

    private static String error(String... overrides) {
        return assertThrows(ConfigException.class, () -> parse(overrides)).getMessage();
    }

    @Test
    void samplingKeysLoad() {
        SampleConfig sample = parse("sample.top_p=0.9", "sample.stop=\"\\n\\n\"", "sample.context_limit=stop").sample();
        assertEquals(0.9, sample.topP());
        assertEquals("\n\n", sample.stop());
        assertEquals(ContextLimit.STOP, sample.contextLimit());
        SampleConfig defaults = parse().sample();
        assertEquals(1.0, defaults.topP());
        assertEquals("", defaults.stop());
        assertEquals(ContextLimit.SLIDE, defaults.contextLimit());
    }

    @Test
    void topPOutsideZeroToOneIsRejectedWithTheKey() {
        for (String bad : List.of("0", "-0.1", "1.5")) {
            String message = error("sample.top_p=" + bad);
            assertTrue(message.startsWith("sample.top_p must be in (0, 1]"), message);
        }
        assertTrue(error("sample.top_p=high").startsWith("sample.top_p: expected a number"));
    }

    @Test
    void negativeTemperatureIsRejectedWithTheKey() {
        String message = error("sample.temperature=-0.5");
        assertTrue(message.startsWith("sample.temperature must be >= 0"), message);
    }

    @Test
    void unknownContextLimitListsTheChoices() {
        String message = error("sample.context_limit=wrap");
        assertTrue(message.contains("sample.context_limit") && message.contains("stop, slide"), message);
    }

    @Test
    void settingsReadUnderOtherNamesAreReportedUnderThem() {
        SampleConfig.Names flags = new SampleConfig.Names("--tokens", "--temperature", "--top-k", "--top-p", "--stop",
                "--context-limit");
        SampleConfig read = SampleConfig.of(flags, "a", 5, 0.5, 3, 0.9, "\n", "STOP");
        assertEquals(new SampleConfig("a", 5, 0.5, 3, 0.9, "\n", ContextLimit.STOP), read);
        String topP = assertThrows(ConfigException.class, () -> SampleConfig.of(flags, "", 5, 1, 0, 1.5, "", "slide"))
                .getMessage();
        assertTrue(topP.startsWith("--top-p must be in (0, 1]"), topP);
        String limit = assertThrows(ConfigException.class, () -> SampleConfig.of(flags, "", 5, 1, 0, 1, "", "wrap"))
                .getMessage();
        assertEquals("--context-limit: unknown value 'wrap'; allowed: stop, slide", limit);
        String temperature = assertThrows(ConfigException.class, () -> new SampleConfig("", 5, -1, 0)).getMessage();
        assertTrue(temperature.startsWith("sample.temperature must be >= 0"), temperature);
    }

    @Test
    void profileStepsNeedEnoughTrainingSteps() {
        assertEquals(5, parse("train.profile_steps=5", "train.steps=8").train().profileSteps());
        String message = error("train.profile_steps=5", "train.steps=7");
        assertTrue(message.contains("train.profile_steps") && message.contains("train.steps >= 8"), message);
        assertTrue(error("train.profile_steps=-1").startsWith("train.profile_steps must be >= 0"));
    }
}
