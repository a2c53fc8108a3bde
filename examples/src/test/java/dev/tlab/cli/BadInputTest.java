package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tlab.layers.Bfloat16Support;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input is one line on stderr that names the flag, key or file, with exit code 2, and nothing else. */
class BadInputTest {

    private static final String CONFIG = "../configs/shakespeare-char.yaml";
    private static final List<String> TINY = List.of("--set", "model.layers=1", "--set", "model.d_model=16",
            "--set", "model.heads=2", "--set", "model.context=16", "--set", "train.batch_size=2",
            "--set", "train.eval_batches=1", "--set", "train.eval_every=2", "--set", "checkpoint.every=2",
            "--set", "sample.tokens=0", "--set", "train.device=cpu", "--set", "train.steps=2");

    @TempDir static Path dir;

    /** A finished run with step checkpoints and best/: what sample, resume and fine-tune start from. */
    private static Path source;

    private static List<String> train(String name, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", CONFIG, "--set", "output.dir=" + dir, "--set", "name=" + name));
        args.addAll(TINY);
        args.addAll(List.of(extra));
        return args;
    }

    @BeforeAll
    static void trainTheSourceRun() throws IOException {
        Outcome trained = run(train("source", "-q"));
        assertEquals(0, trained.code(), trained.err());
        source = dir.resolve("source");
        assertTrue(Files.isDirectory(source.resolve("checkpoints/best")));
        Files.write(dir.resolve("binary.yaml"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0x80});
        Files.writeString(dir.resolve("snow.txt"), "hello \u2603 world\n".repeat(100));
        Path damaged = Files.createDirectories(dir.resolve("damaged/step-000002"));
        try (Stream<Path> files = Files.list(source.resolve("checkpoints/step-000002"))) {
            for (Path file : files.toList()) {
                Files.copy(file, damaged.resolve(file.getFileName()));
            }
        }
        Files.writeString(damaged.resolve("state.json"), "{\"format\": 3, \"step\": ");
        Path mistyped = Files.createDirectories(dir.resolve("mistyped/step-000002"));
        try (Stream<Path> files = Files.list(source.resolve("checkpoints/step-000002"))) {
            for (Path file : files.toList()) {
                Files.copy(file, mistyped.resolve(file.getFileName()));
            }
        }
        Path mistypedState = mistyped.resolve("state.json");
        Files.writeString(mistypedState, Files.readString(mistypedState).replaceFirst("\"step\" : 2", "\"step\" : \"two\""));
        Files.writeString(dir.resolve("unclosed.yaml"), "train:\n  lr: [1, 2\nmodel:\n  layers: 2\n");
        Files.writeString(dir.resolve("twice.yaml"), "extends: " + Path.of(CONFIG).toAbsolutePath()
                + "\ntrain:\n  lr: 0.001\n  steps: 3\n  lr: 0.002\n");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(train("a", "--set", "train.lr=1e400"), "error: train.lr: expected a finite number"),
                Arguments.of(train("a", "--set", "train.lr=.nan"), "error: --set train.lr: expected a finite number"),
                Arguments.of(train("a", "--set", "train.steps=99999999999"),
                        "error: train.steps: 99999999999 is out of range; at most 2147483647"),
                Arguments.of(train("a", "--set", "train.batch_size=1000000000"),
                        "error: train.batch_size * model.context = 1000000000 * 16"),
                // Sizes whose step cannot fit anywhere: refused by the memory estimate before anything is built.
                Arguments.of(train("a", "--set", "model.d_model=1000000"), "error: this run needs about "),
                Arguments.of(train("a", "--set", "model.context=100000"), "error: this run needs about "),
                Arguments.of(train("a", "--set", "model.layers=1000000"), "error: this run needs about "),
                Arguments.of(List.of("train", dir.resolve("twice.yaml").toString()),
                        "error: " + dir.resolve("twice.yaml") + ": duplicate key 'train.lr' at line 5"),
                Arguments.of(List.of("train", dir.resolve("binary.yaml").toString()),
                        "error: config file " + dir.resolve("binary.yaml") + " is not UTF-8 text"),
                Arguments.of(List.of("inspect", dir.resolve("damaged/step-000002").toString()), "error: checkpoint "
                        + dir.resolve("damaged/step-000002") + " is incomplete: " + dir.resolve("damaged/step-000002/state.json")
                        + ": damaged checkpoint state, not valid JSON at line 1"),
                Arguments.of(List.of("eval", "RUN", "--data", dir.resolve("snow.txt").toString(), "--contexts", "8",
                        "--device", "cpu"), "error: --data " + dir.resolve("snow.txt") + ": character '\u2603' (U+2603)"),
                Arguments.of(List.of("train", "--bogus"), "error: Unknown option: '--bogus'"),
                Arguments.of(List.of("train", CONFIG, "--bogus"), "error: Unknown option: '--bogus'"),
                Arguments.of(List.of("finetune", CONFIG), "error: Missing required option: '--from=CHECKPOINT'"),
                Arguments.of(List.of("sample", "RUN", "--tokens", "x"), "error: Invalid value for option '--tokens'"),
                Arguments.of(List.of("sample", "RUN", "--temperature", "-1"), "error: --temperature must be >= 0"),
                Arguments.of(List.of("resume", "RUN", "--set", "train.steps=4", "--set", "model.d_model=32"),
                        "error: cannot resume from "),
                Arguments.of(List.of("finetune", CONFIG, "--from", "RUN", "--set", "output.dir=" + dir, "--set",
                        "name=source"), "error: " + dir.resolve("source") + " is the run fine-tuned from"),
                // Outputs that are the wrong kind of thing: checked before any work.
                Arguments.of(List.of("import", "gpt2", "../training/src/test/resources/gpt2-hf", "--out",
                        dir.resolve("snow.txt").toString()), "error: --out: " + dir.resolve("snow.txt") + " is a file; give a folder"),
                Arguments.of(List.of("export", "RUN", "--format", "hf", dir.resolve("snow.txt").toString()),
                        "error: OUT_DIR: " + dir.resolve("snow.txt") + " is a file; give a folder"),
                Arguments.of(List.of("compare", "RUN", "--markdown", dir.resolve("snow.txt/x.md").toString()),
                        "error: --markdown: cannot create " + dir.resolve("snow.txt/x.md") + ": " + dir.resolve("snow.txt")
                                + " is a file, not a folder"),
                Arguments.of(List.of("compare", "RUN", "--csv", dir.toString()), "error: --csv: " + dir + " is a folder"),
                Arguments.of(List.of("inspect", dir.resolve("mistyped/step-000002").toString()), "error: checkpoint "
                        + dir.resolve("mistyped/step-000002") + " is incomplete: " + dir.resolve("mistyped/step-000002/state.json")
                        + ": damaged checkpoint state: field 'step' (line 3) has the wrong type: Cannot deserialize value"
                        + " of type `long` from String \"two\""),
                Arguments.of(List.of("train", dir.resolve("unclosed.yaml").toString()), "error: " + dir.resolve("unclosed.yaml")
                        + ": invalid YAML at line 3, column 6: expected ',' or ']', but got : (while parsing a flow sequence"
                        + " from line 2, column 7)"),
                Arguments.of(List.of("train", "RUN"), "error: CONFIG: RUN is a directory, not a config file; give a YAML"
                        + " config such as configs/shakespeare-char.yaml (to continue the run in it: tlab resume RUN)"),
                Arguments.of(train("a", "--set", "data.path="), "error: data.path: empty; data.task lm needs a corpus"),
                Arguments.of(List.of("sample", "RUN", "--device", "gpu:99"), "error: --device: 'gpu:99' asked for, but "),
                Arguments.of(List.of("eval", "RUN", "--device", "gpu:99"), "error: --device: 'gpu:99' asked for, but "),
                Arguments.of(List.of("bench", CONFIG, "--steps", "0"), "error: --steps: must be >= 1, got 0"),
                Arguments.of(List.of("trian", CONFIG), "error: unknown command 'trian' (did you mean train?); the commands"
                        + " are: train, prepare, resume, finetune, inspect, plot, compare, sample, chat, eval, ablate, bench, import,"
                        + " export, help (see tlab --help)"),
                Arguments.of(List.of("bogus"), "error: unknown command 'bogus'; the commands are: train, "));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void isOneNamedLineWithExitCode2(List<String> args, String expected) {
        List<String> resolved = args.stream().map(a -> a.equals("RUN") ? source.toString() : a).toList();
        expected = expected.replace("RUN", source.toString());
        Outcome bad = run(resolved);
        assertEquals(2, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), "one line:\n" + bad.err());
        assertTrue(bad.err().startsWith(expected), bad.err());
        if (expected.startsWith("error: this run needs")) {
            String sizes = String.join(" ", args);
            String key = sizes.contains("d_model=1000000") ? "model.d_model" : sizes.contains("context=100000")
                    ? "model.context" : "model.layers";
            assertTrue(bad.err().contains(key), "names " + key + ": " + bad.err());
        }
        if (expected.matches("error: (Unknown|Missing|Invalid) .*")) {
            assertTrue(bad.err().strip().endsWith(" --help)"), "a pointer to the help instead of usage: " + bad.err());
        }
        assertEquals("", bad.out(), "no usage text");
        assertFalse(Files.exists(dir.resolve("a")), "no run directory for a refused config");
    }

    @Test
    void aFineTuneIntoTheSourceRunLeavesItByteIdentical() {
        Map<String, String> before = hashes(source);
        Outcome over = run(List.of("finetune", CONFIG, "--from", source.toString(), "--set", "output.dir=" + dir,
                "--set", "name=source", "--set", "train.device=cpu"));
        assertEquals(2, over.code(), over.err());
        assertEquals(before, hashes(source));
        // From a step checkpoint into a directory that holds another run's checkpoints: refused too.
        assertEquals(0, run(train("other", "-q")).code());
        Outcome other = run(List.of("finetune", CONFIG, "--from", source.resolve("checkpoints/step-000002").toString(),
                "--set", "output.dir=" + dir, "--set", "name=other", "--set", "train.device=cpu"));
        assertEquals(2, other.code());
        assertTrue(other.err().startsWith("error: " + dir.resolve("other") + " already has another run's checkpoints"),
                other.err());
        assertEquals(before, hashes(source));
    }

    @Test
    void aDryRunReportsTheEstimateWithoutTraining() {
        Outcome fits = run(train("dry", "--dry-run"));
        assertEquals(0, fits.code(), fits.err());
        assertTrue(fits.out().contains("parameters: "), fits.out());
        assertTrue(fits.out().matches("(?s).*available: .* on cpu\\(\\): fits.*"), fits.out());
        Outcome huge = run(train("dry", "--dry-run", "--set", "model.layers=1000000"));
        assertEquals(2, huge.code());
        assertTrue(huge.out().contains("does not fit; reduce "), huge.out());
        Outcome inspect = run(List.of("inspect", CONFIG, "--set", "train.device=cpu", "--set", "model.layers=1000000"));
        assertEquals(2, inspect.code());
        assertTrue(inspect.out().contains("1000000 layers") && inspect.out().contains("does not fit; reduce "), inspect.out());
        assertFalse(Files.exists(dir.resolve("dry")), "a dry run creates nothing");
    }

    /**
     * On a JNI library that cannot hold bfloat16 (DJL's own, as in CI) a bf16 run is refused as it
     * starts: one line naming train.precision and what to do, exit 2, nothing written; a dry run
     * prints its report and says so, with exit 2.
     */
    @Test
    void bf16IsRefusedAtTheStartOfARunWhereTheJniLibraryCannotHoldIt() {
        assumeFalse(Bfloat16Support.available(), "this JNI library maps bfloat16");
        Outcome refused = run(train("bf16", "--set", "train.precision=bf16"));
        assertEquals(2, refused.code(), refused.err());
        assertEquals(1, refused.err().lines().count(), "one line:\n" + refused.err());
        assertTrue(refused.err().startsWith("error: train.precision: bf16 needs a DJL JNI library that maps bfloat16"),
                refused.err());
        assertTrue(refused.err().contains("scripts/build-djl-jni.sh"), refused.err());
        assertEquals("", refused.out());
        assertFalse(Files.exists(dir.resolve("bf16")), "no run directory for a refused run");
        Outcome dry = run(train("bf16", "--dry-run", "--set", "train.precision=bf16"));
        assertEquals(2, dry.code(), dry.err());
        assertTrue(dry.out().contains("bf16 on cpu()") && dry.out().contains(": fits"), dry.out());
        assertTrue(dry.out().contains("refused here: train.precision: bf16 needs"), dry.out());
        assertFalse(Files.exists(dir.resolve("bf16")), "a dry run creates nothing");
    }

    @Test
    void evalAtAContextTooLargeForMemoryReportsItNotAvailable() {
        assertEquals(0, run(train("alibi", "-q", "--set", "model.positional=alibi")).code());
        Outcome eval = run(List.of("eval", dir.resolve("alibi").toString(), "--contexts", "16,100000", "--device", "cpu",
                "--batches", "1"));
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("needs about"), eval.out());
    }

    @Test
    void aNewRunIntoADirectoryWithOnlyBestIsRefused() throws IOException {
        Path run = dir.resolve("bestonly");
        assertEquals(0, run(train("bestonly", "-q")).code());
        // What a kill while the first step checkpoint was written leaves: best/ and no step checkpoint.
        for (Path step : CheckpointsOf.steps(run)) {
            try (Stream<Path> files = Files.walk(step)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        assertTrue(Files.isDirectory(run.resolve("checkpoints/best")));
        Map<String, String> before = hashes(run);
        Outcome again = run(train("bestonly", "-q"));
        assertEquals(2, again.code());
        assertTrue(again.err().startsWith("error: " + run + " already has checkpoints"), again.err());
        assertEquals(before, hashes(run));
    }

    /** Step checkpoint directories of a run. */
    private static final class CheckpointsOf {
        static List<Path> steps(Path run) throws IOException {
            try (Stream<Path> entries = Files.list(run.resolve("checkpoints"))) {
                return entries.filter(p -> p.getFileName().toString().startsWith("step-")).toList();
            }
        }
    }

    @Test
    void commandsThatLoadACheckpointNameIt() {
        Outcome sample = run(List.of("sample", source.toString(), "--tokens", "3", "--device", "cpu"));
        assertEquals(0, sample.code(), sample.err());
        assertEquals("using checkpoint " + source.resolve("checkpoints/step-000002") + " (step 2)", sample.err().strip());
    }

    private static Map<String, String> hashes(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            Map<String, String> out = new TreeMap<>();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(file).toString(), HexFormat.of().formatHex(sha.digest(Files.readAllBytes(file))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
