package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad {@code train.threads} or {@code train.extend} is one line naming the key, with exit code 2. */
class ThreadsAndExtendInputTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "train.threads=-1|error: train.threads must be >= 0, got -1",
        "train.threads=two|error: train.threads: expected an integer",
        "train.extend=sometimes|error: train.extend: unsupported value 'sometimes'; allowed: restretch, constant"})
    void isOneLineWithExitCode2(String set, String expected) {
        for (String command : new String[] {"train", "bench"}) {
            Outcome bad = run(command, "../configs/shakespeare-char.yaml", "--set", set, "--set", "output.dir=/nonexistent");
            assertEquals(2, bad.code(), bad.err());
            assertEquals(1, bad.err().lines().count(), bad.err());
            assertEquals(expected, bad.err().strip().substring(0, Math.min(expected.length(), bad.err().strip().length())),
                    bad.err());
        }
    }
}
