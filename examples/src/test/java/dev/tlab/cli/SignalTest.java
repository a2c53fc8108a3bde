package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.metrics.RunSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals to a real tlab process: SIGTERM and SIGINT stop it cleanly with a checkpoint that
 * resumes bit-exactly, SIGUSR1 writes a checkpoint and training goes on.
 */
class SignalTest {

    private static final String CONFIG = Path.of("../configs/shakespeare-char.yaml").toAbsolutePath().normalize().toString();
    private static final int STEPS = 300;
    private static final Pattern STEP = Pattern.compile("(?m)^step +(\\d+)/");

    @TempDir static Path dir;
    /** The uninterrupted run every resumed one must match: it only ever wrote an extra checkpoint on SIGUSR1. */
    private static byte[] unbroken;
    private static String unbrokenOutput;

    /** A child JVM running the tlab CLI, its output in a file. */
    private record Child(Process process, Path log) {
        String output() throws IOException {
            return Files.readString(log);
        }

        long lastStep() throws IOException {
            Matcher m = STEP.matcher(output());
            long last = 0;
            while (m.find()) {
                last = Long.parseLong(m.group(1));
            }
            return last;
        }

        void signal(String name) throws Exception {
            assertEquals(0, new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor());
        }

        void awaitStep(long step) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lastStep() < step) {
                assertTrue(process.isAlive(), "ended before step " + step + ":\n" + output());
                assertTrue(System.nanoTime() < deadline, "no step " + step + " within 60 s:\n" + output());
                Thread.sleep(5);
            }
        }

        int exit() throws Exception {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "still running:\n" + output());
            return process.exitValue();
        }
    }

    private static Child start(String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "child", ".log");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Child(process, log);
    }

    /** {@code tlab train} on a model small enough that a step takes milliseconds. */
    private static Child train(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", CONFIG));
        for (String set : List.of("name=" + name, "output.dir=" + dir.resolve("runs"), "train.device=cpu", "model.layers=1",
                "model.d_model=32", "model.heads=2", "model.context=16", "train.batch_size=4", "train.steps=" + STEPS,
                "train.warmup=10", "train.eval_every=1000", "train.eval_batches=2", "train.log_every=1",
                "checkpoint.every=0", "sample.tokens=0")) {
            args.add("--set");
            args.add(set);
        }
        for (String set : extra) {
            args.add("--set");
            args.add(set);
        }
        return start(args.toArray(String[]::new));
    }

    private static Path runDir(String name) {
        return dir.resolve("runs").resolve(name);
    }

    private static byte[] finalWeights(Path runDir) throws IOException {
        return Files.readAllBytes(runDir.resolve("checkpoints").resolve(CheckpointDirectory.stepName(STEPS))
                .resolve(CheckpointDirectory.MODEL_FILE));
    }

    @BeforeAll
    static void trainUnbroken() throws Exception {
        Child child = train("unbroken");
        child.awaitStep(40);
        child.signal("USR1");
        assertEquals(0, child.exit(), child.output());
        unbrokenOutput = child.output();
        unbroken = finalWeights(runDir("unbroken"));
    }

    /**
     * Stops a run with {@code signal} once it reached {@code step} ({@code again} more of them while
     * it stops), checks the stop, resumes it and compares it with the unbroken run.
     */
    private void stopsAndResumesExactly(String signal, int exitCode, long step, int again, String... extra) throws Exception {
        String name = signal.toLowerCase() + "-" + step;
        Child child = train(name, extra);
        child.awaitStep(step);
        child.signal(signal);
        for (int i = 0; i < again && child.process().isAlive(); i++) {
            new ProcessBuilder("kill", "-" + signal, String.valueOf(child.process().pid())).start().waitFor();
        }
        assertEquals(exitCode, child.exit(), child.output());
        String output = child.output();
        Matcher stopped = Pattern.compile("stopped by SIG" + signal + " after step (\\d+); checkpoint (\\S+); continue with: tlab resume (\\S+)\n")
                .matcher(output);
        assertTrue(stopped.find(), output);
        long at = Long.parseLong(stopped.group(1));
        Path checkpoint = Path.of(stopped.group(2));
        String resume = stopped.group(3);
        assertFalse(stopped.find(), "one stop line:\n" + output);
        assertTrue(at >= step && at < STEPS, "stopped at " + at);
        assertEquals(runDir(name).resolve("checkpoints").resolve(CheckpointDirectory.stepName(at)), checkpoint);
        for (Path each : CheckpointDirectory.stepDirectories(checkpoint.getParent())) {
            assertNull(CheckpointDirectory.problem(each, true), "every checkpoint stays valid");
        }
        try (Stream<Path> left = Files.list(checkpoint.getParent())) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList());
        }
        assertEquals(checkpoint, CheckpointDirectory.locate(runDir(name)).checkpoint());
        assertFalse(Files.exists(runDir(name).resolve(RunSummary.FILE)), "the run is not finished");
        assertEquals(at, Files.readAllLines(runDir(name).resolve("metrics.jsonl")).size(), "every step's metrics were flushed");
        assertNoCrashFiles();

        Child resumed = start("resume", resume);
        assertEquals(0, resumed.exit(), resumed.output());
        assertArrayEquals(unbroken, finalWeights(runDir(name)), "resumed from step " + at + " differs from the unbroken run");
    }

    private void assertNoCrashFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList());
        }
    }

    @Test
    void sigtermEarlyStopsWith143AndResumesExactly() throws Exception {
        stopsAndResumesExactly("TERM", 143, 7, 0);
    }

    @Test
    void sigtermsDuringTheStopCheckpointChangeNothing() throws Exception {
        // Earlier checkpoints at 50 and 100; SIGTERMs keep coming while the stop checkpoint is written.
        stopsAndResumesExactly("TERM", 143, 120, 200, "checkpoint.every=50", "checkpoint.keep=5");
    }

    @Test
    void sigintStopsWith130AndResumesExactly() throws Exception {
        // A shell without job control starts background commands with SIGINT ignored; they keep ignoring it.
        assumeFalse(ignoresSigint(), "this process ignores SIGINT, and so would its child");
        stopsAndResumesExactly("INT", 130, 50, 0);
    }

    @Test
    void sigusr1WritesACheckpointAndTrainingGoesOn() throws Exception {
        Matcher written = Pattern.compile("SIGUSR1: checkpoint (\\S+) after step (\\d+); training continues").matcher(unbrokenOutput);
        assertTrue(written.find(), unbrokenOutput);
        Path checkpoint = Path.of(written.group(1));
        assertEquals(CheckpointDirectory.stepName(Long.parseLong(written.group(2))), checkpoint.getFileName().toString());
        assertNull(CheckpointDirectory.problem(checkpoint, true));
        assertTrue(Files.exists(runDir("unbroken").resolve(RunSummary.FILE)), "the run finished");
        assertTrue(unbrokenOutput.contains("done: " + STEPS + " steps"), unbrokenOutput);
    }

    @Test
    void ablateStopsAfterTheRunsCheckpointAndContinuesOnTheNextStart() throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, String.join("\n",
                "base: " + CONFIG, "name: sweep", "grid:", "  model.positional: [learned]", "seeds: [1, 2]", "contexts: [2]", "set:",
                "  model.layers: 1", "  model.d_model: 32", "  model.heads: 2", "  model.context: 16", "  train.batch_size: 4",
                "  train.steps: 150", "  train.warmup: 10", "  train.eval_every: 1000", "  train.eval_batches: 2",
                "  train.log_every: 1", "  train.device: cpu", "  sample.tokens: 0", "  output.dir: " + dir.resolve("runs"), ""));
        Child child = start("ablate", spec.toString());
        child.awaitStep(30);
        child.signal("TERM");
        assertEquals(143, child.exit(), child.output());
        assertTrue(child.output().contains("; continue with: tlab ablate " + spec + "\n"), child.output());
        Path first = dir.resolve("runs/sweep/learned-seed1");
        assertNull(CheckpointDirectory.problem(CheckpointDirectory.locate(first).checkpoint(), true));
        assertFalse(Files.exists(first.resolve(RunSummary.FILE)));
        assertFalse(Files.exists(dir.resolve("runs/sweep/learned-seed2")), "no further run started");

        Child again = start("ablate", spec.toString());
        assertEquals(0, again.exit(), again.output());
        assertTrue(Files.exists(first.resolve(RunSummary.FILE)) && Files.exists(dir.resolve("runs/sweep/learned-seed2").resolve(RunSummary.FILE)),
                again.output());
        assertNoCrashFiles();
    }

    /** Whether SIGINT (bit 2) is in this process's ignored-signal mask. */
    private static boolean ignoresSigint() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
            }
        }
        return false;
    }
}
