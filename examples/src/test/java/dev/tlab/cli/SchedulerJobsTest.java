package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tlab ablate SPEC --emit slurm|k8s}: each array element or index runs its run's --emit-jobs command. */
class SchedulerJobsTest {

    @TempDir Path dir;

    private Path spec() throws Exception {
        return Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "base: " + Path.of("../configs/shakespeare-char.yaml").toAbsolutePath().normalize(),
                "grid:",
                "  model.positional: [learned, alibi, rope]",
                "seeds: [1, 2]",
                "set:",
                "  sample.prompt: 'ROMEO: hi'",
                "  output.dir: " + dir.resolve("runs"),
                ""));
    }

    /** The commands --emit-jobs prints, without their launcher. */
    private List<String> jobs(Path spec) {
        Outcome emitted = run("ablate", spec.toString(), "--emit-jobs", "--launcher", "tlab");
        assertEquals(0, emitted.code(), emitted.err());
        return emitted.out().lines().map(l -> l.substring("tlab ".length())).toList();
    }

    /** Runs bash with {@code variable=index} and {@code TLAB=echo}: prints the command the element would exec. */
    private Outcome bash(List<String> command, String variable, int index) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
        builder.environment().put(variable, String.valueOf(index));
        builder.environment().put("TLAB", "echo");
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(process.waitFor(), out, err);
    }

    @Test
    void theSlurmScriptIsAJobArrayWhoseElementIRunsJobI() throws Exception {
        Path spec = spec();
        List<String> jobs = jobs(spec);
        Outcome emitted = run("ablate", spec.toString(), "--emit", "slurm", "--partition", "gpu", "--gpus", "1",
                "--cpus", "8", "--mem", "32G", "--time", "02:00:00", "--parallel", "2");
        assertEquals(0, emitted.code(), emitted.err());
        Path script = Files.writeString(dir.resolve("sweep.sbatch"), emitted.out());
        String text = emitted.out();
        assertTrue(text.startsWith("#!/bin/bash\n#SBATCH --job-name=tiny\n#SBATCH --array=0-5%2\n"), text);
        for (String directive : List.of("--partition=gpu", "--gpus=1", "--cpus-per-task=8", "--mem=32G", "--time=02:00:00",
                "--signal=B:USR1@120", "--requeue")) {
            assertTrue(text.contains("\n#SBATCH " + directive + "\n"), directive + " in\n" + text);
        }
        assertTrue(text.contains("tlab ablate " + spec + " --collect"), "says how to gather the results");

        Outcome syntax = bash(List.of("bash", "-n", script.toString()), "SLURM_ARRAY_TASK_ID", 0);
        assertEquals(0, syntax.code(), syntax.err());
        for (int i = 0; i < jobs.size(); i++) {
            Outcome element = bash(List.of("bash", script.toString()), "SLURM_ARRAY_TASK_ID", i);
            assertEquals(0, element.code(), element.err());
            assertEquals(echoed(jobs.get(i)), element.out().strip(), "element " + i);
        }
        Outcome outside = bash(List.of("bash", script.toString()), "SLURM_ARRAY_TASK_ID", 6);
        assertEquals(2, outside.code());
        assertEquals("no run 6 in this sweep (0-5)", outside.err().strip());

        // A requeued element resumes its run; a finished one does nothing.
        Path run1 = dir.resolve("runs/tiny/alibi-seed1");
        Files.createDirectories(run1.resolve("checkpoints"));
        assertEquals(echoed(jobs.get(1)) + " --resume", bash(List.of("bash", script.toString()), "SLURM_ARRAY_TASK_ID", 1)
                .out().strip());
        Files.writeString(run1.resolve("done.json"), "{}");
        assertEquals(run1 + " is complete", bash(List.of("bash", script.toString()), "SLURM_ARRAY_TASK_ID", 1).out().strip());
    }

    @Test
    void theKubernetesManifestIsAnIndexedJobWhoseIndexIRunsJobI() throws Exception {
        Path spec = spec();
        List<String> jobs = jobs(spec);
        Outcome emitted = run("ablate", spec.toString(), "--emit", "k8s", "--image", "registry.example/tlab:0.1",
                "--gpus", "1", "--cpus", "4", "--mem", "16Gi", "--parallel", "3", "--pvc", "tlab-work",
                "--workdir", "/work", "--launcher", "tlab");
        assertEquals(0, emitted.code(), emitted.err());
        JsonNode job = new YAMLMapper().readTree(emitted.out());
        assertEquals("batch/v1", job.get("apiVersion").asText());
        assertEquals("Job", job.get("kind").asText());
        assertEquals("tiny", job.at("/metadata/name").asText());
        assertEquals("Indexed", job.at("/spec/completionMode").asText());
        assertEquals(6, job.at("/spec/completions").asInt());
        assertEquals(3, job.at("/spec/parallelism").asInt());
        JsonNode container = job.at("/spec/template/spec/containers/0");
        assertEquals("registry.example/tlab:0.1", container.get("image").asText());
        assertEquals("/work", container.get("workingDir").asText());
        assertEquals("1", container.at("/resources/limits/nvidia.com~1gpu").asText());
        assertEquals("16Gi", container.at("/resources/requests/memory").asText());
        assertEquals("4", container.at("/resources/limits/cpu").asText());
        assertEquals("tlab-work", job.at("/spec/template/spec/volumes/0/persistentVolumeClaim/claimName").asText());
        assertEquals("/work", container.at("/volumeMounts/0/mountPath").asText());
        List<String> command = new java.util.ArrayList<>();
        container.get("command").forEach(word -> command.add(word.asText()));
        assertEquals(List.of("/bin/bash", "-c"), command.subList(0, 2));
        for (int i = 0; i < jobs.size(); i++) {
            Outcome index = bash(command, "JOB_COMPLETION_INDEX", i);
            assertEquals(0, index.code(), index.err());
            assertEquals(echoed(jobs.get(i)), index.out().strip(), "index " + i);
        }

        Outcome noImage = run("ablate", spec.toString(), "--emit", "k8s");
        assertEquals(2, noImage.code());
        assertEquals("error: --image: required with --emit k8s (an image with tlab and its runtime)", noImage.err().strip());
        Outcome wrong = run("ablate", spec.toString(), "--emit", "k8s", "--image", "x", "--partition", "gpu");
        assertEquals("error: --partition does not apply to --emit k8s", wrong.err().strip());
        Outcome unknown = run("ablate", spec.toString(), "--emit", "pbs");
        assertEquals("error: --emit: unsupported value 'pbs'; allowed: slurm, k8s", unknown.err().strip());
    }

    /** What {@code echo} prints for a shell command line: its words joined by single spaces. */
    private static String echoed(String line) {
        return String.join(" ", AblateCommandTest.words(line));
    }
}
