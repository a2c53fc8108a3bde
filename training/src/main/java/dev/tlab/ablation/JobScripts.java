package dev.tlab.ablation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.errors.ConfigException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A sweep as one job of a cluster scheduler, one array element (or index) per run: a Slurm
 * {@code sbatch} script for a job array, or a Kubernetes Indexed Job. Both carry the same shell
 * body: the scheduler's index ({@code $SLURM_ARRAY_TASK_ID}, {@code $JOB_COMPLETION_INDEX}) picks
 * the run, whose command line is the one {@code --emit-jobs} prints for it. A run that is already
 * complete exits at once; one with checkpoints (a preempted or requeued element) continues with
 * {@code --resume}. {@code $TLAB} overrides the launcher. Gather the results with {@code --collect}.
 */
public final class JobScripts {

    /**
     * What each element asks for; null or blank fields are left to the scheduler's defaults.
     *
     * @param parallel at most this many runs at once (Slurm's {@code %N}, Kubernetes' parallelism); 0 = all
     */
    public record Resources(String partition, String gpus, String cpus, String memory, String time, String image,
            int parallel, String workdir, String volumeClaim) {}

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build();

    private JobScripts() {}

    /** The shell body: {@code index} (a variable name) picks the run; then complete, resume or start it. */
    static String body(Sweep sweep, String launcher, String index) {
        StringBuilder out = new StringBuilder();
        // Quoted, so the launcher is taken as written ($, quotes and backquotes included); $TLAB overrides it.
        out.append("launcher=").append(Sweep.shellQuote(launcher.strip())).append('\n');
        out.append("tlab=\"${TLAB:-$launcher}\"\n");
        out.append("case \"$").append(index).append("\" in\n");
        List<Sweep.Run> runs = sweep.runs();
        for (int i = 0; i < runs.size(); i++) {
            Sweep.Run run = runs.get(i);
            out.append("  ").append(i).append(")  # ").append(run.name()).append('\n');
            out.append("    run=").append(Sweep.shellQuote(Sweep.relative(run.dir()))).append('\n');
            out.append("    set -- ").append(sweep.arguments(run)).append(" ;;\n");
        }
        out.append("  *) echo \"no run $").append(index).append(" in this sweep (0-").append(runs.size() - 1)
                .append(")\" >&2; exit 2 ;;\n");
        out.append("esac\n");
        out.append("if [ -f \"$run/done.json\" ]; then echo \"$run is complete\"; exit 0; fi\n");
        out.append("if [ -d \"$run/checkpoints\" ]; then set -- \"$@\" --resume; fi\n");
        out.append("exec $tlab \"$@\"\n");
        return out.toString();
    }

    /** An {@code sbatch} script for a job array over the sweep's runs. */
    public static String slurm(Sweep sweep, String launcher, Resources resources, String collect) {
        checkFlags("slurm", sweep, launcher, resources);
        int last = sweep.runs().size() - 1;
        StringBuilder out = new StringBuilder("#!/bin/bash\n");
        out.append("#SBATCH --job-name=").append(sweep.spec().name()).append('\n');
        out.append("#SBATCH --array=0-").append(last).append(resources.parallel() > 0 ? "%" + resources.parallel() : "")
                .append('\n');
        String here = Path.of("").toAbsolutePath().toString();
        out.append("#SBATCH --chdir=").append(here.matches("[A-Za-z0-9._/+@%:,=-]+") ? here : "\"" + here + "\"").append('\n');
        directive(out, "partition", resources.partition());
        directive(out, "gpus", resources.gpus());
        directive(out, "cpus-per-task", resources.cpus());
        directive(out, "mem", resources.memory());
        directive(out, "time", resources.time());
        out.append("#SBATCH --signal=B:USR1@120\n"); // a checkpoint 2 minutes before the time limit
        out.append("#SBATCH --requeue\n");           // a preempted element comes back and resumes
        out.append("#\n# ").append(sweep.runs().size()).append(" runs of sweep ").append(sweep.spec().name())
                .append(", one array element each: sbatch this file, then gather the results with\n#   ")
                .append(collect).append('\n');
        out.append("set -euo pipefail\n");
        out.append(body(sweep, launcher, "SLURM_ARRAY_TASK_ID"));
        return out.toString();
    }

    /**
     * The flags as the scheduler takes them ({@link JobFlags}), and the names that go into comment
     * and directive lines (the spec's and its runs') free of control characters.
     */
    private static void checkFlags(String scheduler, Sweep sweep, String launcher, Resources resources) {
        JobFlags.check(scheduler, resources, launcher);
        JobFlags.noControl("the spec's name", sweep.spec().name());
        sweep.runs().forEach(run -> JobFlags.noControl("run name " + run.name(), run.name()));
        String here = Path.of("").toAbsolutePath().toString();
        JobFlags.noControl("the working directory " + here, here);
        if (scheduler.equals("slurm") && here.contains("\"")) {
            throw new ConfigException("the working directory " + here + " holds a '\"', which a #SBATCH line cannot carry");
        }
    }

    private static void directive(StringBuilder out, String name, String value) {
        if (value != null && !value.isBlank()) {
            out.append("#SBATCH --").append(name).append('=').append(value.strip()).append('\n');
        }
    }

    /** A Kubernetes Indexed Job over the sweep's runs, as YAML. */
    public static String kubernetes(Sweep sweep, String launcher, Resources resources, String collect) {
        if (resources.image() == null || resources.image().isBlank()) {
            throw new ConfigException("--image: required with --emit k8s (an image with tlab and its runtime)");
        }
        checkFlags("k8s", sweep, launcher, resources);
        int runs = sweep.runs().size();
        ObjectNode job = YAML.createObjectNode();
        job.put("apiVersion", "batch/v1");
        job.put("kind", "Job");
        ObjectNode metadata = job.putObject("metadata");
        metadata.put("name", dnsName(sweep.spec().name()));
        metadata.putObject("annotations").put("tlab.dev/collect", collect);
        ObjectNode spec = job.putObject("spec");
        spec.put("completionMode", "Indexed");
        spec.put("completions", runs);
        spec.put("parallelism", resources.parallel() > 0 ? Math.min(resources.parallel(), runs) : runs);
        spec.put("backoffLimit", runs * 3);
        ObjectNode pod = spec.putObject("template").putObject("spec");
        pod.put("restartPolicy", "OnFailure");
        // SIGTERM stops tlab with a checkpoint of the current step; give it time to finish one.
        pod.put("terminationGracePeriodSeconds", 120);
        ObjectNode container = pod.putArray("containers").addObject();
        container.put("name", "tlab");
        container.put("image", resources.image().strip());
        String workdir = resources.workdir() == null || resources.workdir().isBlank()
                ? Path.of("").toAbsolutePath().toString() : resources.workdir().strip();
        container.put("workingDir", workdir);
        container.putArray("command").add("/bin/bash").add("-c")
                .add("set -euo pipefail\n" + body(sweep, launcher, "JOB_COMPLETION_INDEX"));
        ObjectNode limits = YAML.createObjectNode();
        put(limits, "cpu", resources.cpus());
        put(limits, "memory", resources.memory());
        put(limits, "nvidia.com/gpu", resources.gpus());
        if (!limits.isEmpty()) {
            ObjectNode requests = limits.deepCopy();
            requests.remove("nvidia.com/gpu"); // extended resources: the limit is the request
            ObjectNode resourcesNode = container.putObject("resources");
            if (!requests.isEmpty()) {
                resourcesNode.set("requests", requests);
            }
            resourcesNode.set("limits", limits);
        }
        if (resources.volumeClaim() != null && !resources.volumeClaim().isBlank()) {
            ArrayNode mounts = container.putArray("volumeMounts");
            mounts.addObject().put("name", "work").put("mountPath", workdir);
            pod.putArray("volumes").addObject().put("name", "work").putObject("persistentVolumeClaim")
                    .put("claimName", resources.volumeClaim().strip());
        }
        try {
            return "# " + runs + " runs of sweep " + sweep.spec().name() + ", one index each: kubectl apply -f this"
                    + " file, then gather the results with\n#   " + collect + "\n" + YAML.writeValueAsString(job);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void put(ObjectNode node, String key, String value) {
        if (value != null && !value.isBlank()) {
            node.put(key, value.strip());
        }
    }

    /** A Kubernetes object name: lower case letters, digits and '-', at most 63, starting and ending alphanumeric. */
    static String dnsName(String name) {
        String dns = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        dns = dns.length() > 63 ? dns.substring(0, 63).replaceAll("-+$", "") : dns;
        return dns.isEmpty() ? "tlab-sweep" : dns;
    }
}
