package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code tlab ablate --emit slurm|k8s}: every flag is checked against what the scheduler accepts,
 * one line naming it and exit 2; no value can add a line to the script, and the launcher is quoted.
 */
class SchedulerFlagsTest {

    @TempDir static Path dir;
    private static Path spec;

    @BeforeAll
    static void writeSpec() throws Exception {
        spec = Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "base: " + Path.of("../configs/shakespeare-char.yaml").toAbsolutePath().normalize(),
                "grid:",
                "  model.positional: [learned, alibi]",
                "seeds: [1]",
                "set:",
                "  output.dir: " + dir.resolve("runs"),
                ""));
    }

    private static List<String> emit(String scheduler, String... flags) {
        List<String> args = new ArrayList<>(List.of("ablate", spec.toString(), "--emit", scheduler));
        if (scheduler.equals("k8s") && !List.of(flags).contains("--image")) {
            args.addAll(List.of("--image", "registry.example/tlab:0.1"));
        }
        args.addAll(List.of(flags));
        return args;
    }

    static Stream<Arguments> badFlags() {
        return Stream.of(
                Arguments.of(emit("slurm", "--partition", "gpu\n#SBATCH --wrap=rm -rf ~"),
                        "error: --partition: holds the control character U+000A (a line break) at position 4"),
                Arguments.of(emit("k8s", "--image", "tlab\u001b[2J"), "error: --image: holds the control character U+001B"),
                Arguments.of(emit("slurm", "--launcher", "./tlab\r"), "error: --launcher: holds the control character U+000D"),
                Arguments.of(emit("slurm", "--launcher", " "), "error: --launcher: empty; give the command that starts tlab"),
                Arguments.of(emit("slurm", "--partition", "gpu main"), "error: --partition: 'gpu main' is not a Slurm partition"),
                Arguments.of(emit("slurm", "--cpus", "abc"), "error: --cpus: 'abc' is not a whole number of cores >= 1"),
                Arguments.of(emit("slurm", "--cpus", "0"), "error: --cpus: '0' is not a whole number of cores >= 1"),
                Arguments.of(emit("k8s", "--cpus", "abc"), "error: --cpus: 'abc' is not a Kubernetes cpu quantity"),
                Arguments.of(emit("k8s", "--cpus", "0m"), "error: --cpus: '0m' is no CPU at all"),
                Arguments.of(emit("slurm", "--mem", "lots"), "error: --mem: 'lots' is not a Slurm memory size"),
                Arguments.of(emit("k8s", "--mem", "16GB"), "error: --mem: '16GB' is not a Kubernetes memory quantity"),
                Arguments.of(emit("slurm", "--time", "forever"), "error: --time: 'forever' is not a Slurm time limit"),
                Arguments.of(emit("slurm", "--gpus", "-2"), "error: --gpus: '-2' is not a GPU count >= 1"),
                Arguments.of(emit("k8s", "--gpus", "a100:2"), "error: --gpus: 'a100:2' is not a whole number of GPUs"),
                Arguments.of(emit("slurm", "--parallel", "-1"), "error: --parallel: must be >= 0 (0 runs all at once), got -1"),
                Arguments.of(emit("k8s", "--image", "Registry.Example/TLAB:latest tag"), "error: --image: 'Registry.Example/TLAB:"
                        + "latest tag' is not an image reference"),
                Arguments.of(emit("k8s", "--pvc", "Work_Volume"), "error: --pvc: 'Work_Volume' is not a PersistentVolumeClaim name"),
                Arguments.of(emit("k8s", "--workdir", "work"), "error: --workdir: 'work' is relative"));
    }

    @ParameterizedTest
    @MethodSource("badFlags")
    void isOneNamedLineWithExitCode2(List<String> args, String expected) {
        Outcome bad = run(args);
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), "one line:\n" + bad.err());
        assertTrue(bad.err().startsWith(expected), bad.err());
        assertEquals("", bad.out(), "no script");
    }

    @Test
    void whatSchedulersAcceptIsAccepted() {
        for (List<String> args : List.of(
                emit("slurm", "--partition", "gpu,debug", "--cpus", "8", "--mem", "32G", "--time", "1-12:00:00",
                        "--gpus", "a100:2", "--parallel", "2"),
                emit("slurm", "--time", "90", "--mem", "16000", "--gpus", "1"),
                emit("k8s", "--image", "localhost:5000/team/tlab@sha256:" + "ab".repeat(32), "--cpus", "500m",
                        "--mem", "16Gi", "--gpus", "1", "--pvc", "tlab-work.v2", "--workdir", "/work"),
                emit("k8s", "--image", "tlab", "--cpus", "0.5", "--mem", "1e9"))) {
            Outcome good = run(args);
            assertEquals(0, good.code(), args + ": " + good.err());
        }
    }

    @Test
    void theLauncherIsTakenAsWrittenNotRunByTheShell() throws Exception {
        Path pwned = dir.resolve("pwned");
        Outcome emitted = run(emit("slurm", "--launcher", "echo \"$(touch " + pwned + ")\" `touch " + pwned + "`"));
        assertEquals(0, emitted.code(), emitted.err());
        Path script = Files.writeString(dir.resolve("sweep.sbatch"), emitted.out());
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString());
        builder.environment().put("SLURM_ARRAY_TASK_ID", "0");
        builder.environment().remove("TLAB");
        Process bash = builder.start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.waitFor(), new String(bash.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertFalse(Files.exists(pwned), "nothing in the launcher ran");
        assertTrue(out.startsWith("\"$(touch " + pwned + ")\" `touch " + pwned + "` train "), out);
    }
}
