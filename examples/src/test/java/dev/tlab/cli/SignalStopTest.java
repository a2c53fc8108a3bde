package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SIGTERM or SIGINT while {@code tlab prepare} writes: one line saying what stopped and that nothing
 * partial is kept, no temporary folder left, and exit code 143 or 130. Runs tlab as its own process,
 * since the signal goes to a process.
 */
class SignalStopTest {

    @TempDir static Path dir;
    private static Path corpus;

    @BeforeAll
    static void writeACorpusThatTakesSecondsToEncode() throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        String[] words = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dogs", "and", "then", "sleeps"};
        StringBuilder text = new StringBuilder();
        while (text.length() < 24_000_000) {
            for (int w = 0; w < 12; w++) {
                text.append(words[random.nextInt(words.length)]).append(random.nextInt(9) == 0 ? ".\n" : " ");
            }
        }
        corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, text);
    }

    @ParameterizedTest
    @CsvSource({"TERM, 143", "INT, 130"})
    void aSignalDuringPrepareSaysWhatStoppedAndKeepsNothing(String signal, int exitCode) throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache-" + signal));
        Path output = cache.resolve("corpus.txt.gpt2");
        Path temporary = cache.resolve("corpus.txt.gpt2.preparing");
        Path stderr = dir.resolve("stderr-" + signal);
        Process tlab = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "prepare",
                "../configs/shakespeare-gpt2.yaml", "--set", "data.path=" + corpus, "--set", "data.cache=" + cache, "-q")
                .redirectError(stderr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            for (int i = 0; i < 1200 && !Files.isDirectory(temporary) && tlab.isAlive(); i++) {
                Thread.sleep(50);
            }
            assertTrue(Files.isDirectory(temporary), "the prepare started writing");
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(tlab.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(tlab.waitFor(60, TimeUnit.SECONDS), "it stops");
        } finally {
            tlab.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(stderr);
        assertEquals(exitCode, tlab.exitValue(), String.join("\n", lines));
        assertEquals(List.of("tlab prepare of " + output + " stopped by SIG" + signal + "; nothing partial is kept"), lines);
        assertFalse(Files.exists(temporary), "no temporary folder left");
        assertFalse(Files.exists(output), "nothing that looks prepared");
    }
}
