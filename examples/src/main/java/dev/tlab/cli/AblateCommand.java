package dev.tlab.cli;

import dev.tlab.ablation.Ablation;
import dev.tlab.ablation.AblationSpec;
import dev.tlab.ablation.JobScripts;
import dev.tlab.ablation.Sweep;
import dev.tlab.errors.ConfigException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "ablate",
        mixinStandardHelpOptions = true,
        description = {
            "Run an ablation grid: every combination of the spec's grid values, once per seed, one run after"
                    + " another, on top of the spec's base config.",
            "Runs go to <output.dir>/<spec name>/<setting>-seed<N>/. A run already complete (done.json) is"
                    + " skipped, so an interrupted sweep continues where it stopped; a run stopped by SIGTERM or"
                    + " Ctrl-C continues from the checkpoint it wrote.",
            "Writes results.csv, results.md (mean ± std over seeds of final and best val loss, val loss at"
                    + " longer contexts, tokens/s, wall time) and curves.png into the sweep directory.",
            "Spec format: docs/CONFIG.md, \"Ablation specs\"."
        })
final class AblateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "Ablation spec, e.g. configs/ablations/ln-x-pos.yaml.")
    Path specFile;

    @ArgGroup(exclusive = true)
    Mode mode = new Mode();

    static final class Mode {
        @Option(names = "--emit-jobs", description = "Print one self-contained train command per run (for a Slurm array"
                + " or an indexed Job) and exit; gather the results afterwards with --collect.")
        boolean emitJobs;

        @Option(names = "--collect", description = "Train nothing: build the table and plots from the run directories"
                + " (runs not complete yet are listed and left out).")
        boolean collect;

        @Option(names = "--emit", paramLabel = "SCHEDULER", description = {
            "Print one job for a cluster scheduler and exit: slurm (an sbatch script for a job array,"
                    + " $SLURM_ARRAY_TASK_ID picks the run) or k8s (a Kubernetes Indexed Job,"
                    + " $JOB_COMPLETION_INDEX picks the run). Each element runs the command --emit-jobs prints for its"
                    + " run (with --resume when the run has checkpoints); gather the results with --collect."})
        String emit;
    }

    @Option(names = "--partition", description = "--emit slurm: the partition.")
    String partition;

    @Option(names = "--time", description = "--emit slurm: the time limit per run, e.g. 02:00:00.")
    String time;

    @Option(names = "--gpus", description = "--emit: GPUs per run (Slurm --gpus, Kubernetes nvidia.com/gpu).")
    String gpus;

    @Option(names = "--cpus", description = "--emit: CPU cores per run (Slurm --cpus-per-task, Kubernetes cpu).")
    String cpus;

    @Option(names = "--mem", description = "--emit: memory per run, in the scheduler's units (Slurm 16G, Kubernetes 16Gi).")
    String memory;

    @Option(names = "--parallel", defaultValue = "0", description = "--emit: at most this many runs at once; 0 = all.")
    int parallel;

    @Option(names = "--image", description = "--emit k8s: the container image (with tlab and its runtime; required).")
    String image;

    @Option(names = "--workdir", description = "--emit k8s: the container's working directory, where the spec's"
            + " paths resolve (default: this directory).")
    String workdir;

    @Option(names = "--pvc", paramLabel = "CLAIM", description = "--emit k8s: a PersistentVolumeClaim mounted at the"
            + " working directory, so runs outlive their pods.")
    String volumeClaim;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = {
        "Override a config key in every run (repeatable), after the spec's set:, e.g. a quick trial with"
                + " --set train.steps=50 --set output.dir=/tmp/trial. Grid keys, name and train.seed are the sweep's."})
    List<String> overrides = new java.util.ArrayList<>();

    @Option(names = "--launcher", defaultValue = "./tlab", description = "Command that starts tlab in emitted jobs (default:"
            + " ${DEFAULT-VALUE}; a Slurm or Kubernetes job also reads $TLAB at run time).")
    String launcher;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors and, with --emit-jobs, the commands.")
    boolean quiet;

    @Override
    public Integer call() {
        Sweep sweep = Sweep.plan(AblationSpec.load(specFile), overrides);
        PrintWriter out = spec.commandLine().getOut();
        if (mode.emitJobs) {
            sweep.commands(launcher).forEach(out::println);
            out.flush();
            return 0;
        }
        StringBuilder command = new StringBuilder("tlab ablate ").append(specFile);
        overrides.forEach(o -> command.append(" --set ").append(o));
        if (mode.emit != null) {
            out.print(emit(sweep, command + " --collect"));
            out.flush();
            return 0;
        }
        if (mode.collect) {
            command.append(" --collect");
        }
        Ablation ablation = new Ablation(sweep, quiet ? null : spec.commandLine().getErr(), System.console() != null);
        Ablation.Report report;
        if (mode.collect) {
            report = ablation.collect(command.toString());
        } else {
            try (SignalWatch signals = SignalWatch.install(sweep.runs().get(0).config().train().checkpointSignal())) {
                report = ablation.stopOn(signals.request()).run(command.toString());
            }
        }
        if (!quiet) {
            out.println(readResults(report.dir().resolve("results.md")));
            out.flush();
        }
        return 0;
    }

    private String emit(Sweep sweep, String collect) {
        var resources = new JobScripts.Resources(partition, gpus, cpus, memory, time, image, parallel, workdir,
                volumeClaim);
        return switch (mode.emit) {
            case "slurm" -> {
                refuse("slurm", "--image", image, "--workdir", workdir, "--pvc", volumeClaim);
                yield JobScripts.slurm(sweep, launcher, resources, collect);
            }
            case "k8s" -> {
                refuse("k8s", "--partition", partition, "--time", time);
                yield JobScripts.kubernetes(sweep, launcher, resources, collect);
            }
            default -> throw new ConfigException("--emit: unsupported value '" + mode.emit + "'; allowed: slurm, k8s");
        };
    }

    /** Options of the other scheduler are an error, not silently dropped: pairs of name and value. */
    private static void refuse(String scheduler, String... options) {
        for (int i = 0; i < options.length; i += 2) {
            if (options[i + 1] != null) {
                throw new ConfigException(options[i] + " does not apply to --emit " + scheduler);
            }
        }
    }

    private static String readResults(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
