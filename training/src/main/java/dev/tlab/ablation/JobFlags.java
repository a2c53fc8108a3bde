package dev.tlab.ablation;

import dev.tlab.errors.ConfigException;
import java.util.regex.Pattern;

/**
 * The flags of {@code tlab ablate --emit}, checked against what Slurm and Kubernetes accept before
 * anything is written: a value the scheduler would refuse is caught here, naming the flag, and no
 * value may carry a control character (a line break in {@code --partition} would add a line of its
 * own to the batch script).
 */
final class JobFlags {

    /** Slurm's time formats: minutes, m:s, h:m:s, d-h, d-h:m, d-h:m:s, or no limit. */
    private static final Pattern SLURM_TIME = Pattern.compile(
            "\\d+(:\\d{1,2}){0,2}|\\d+-\\d{1,2}(:\\d{1,2}){0,2}|(?i:unlimited|infinite)");
    /** A partition name, or a comma-separated list of them (Slurm takes the first that can run the job). */
    private static final Pattern PARTITION = Pattern.compile("[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*");
    private static final Pattern COUNT = Pattern.compile("[1-9]\\d{0,5}");
    /** Slurm --gpus: a count, or a type and a count (a100:2). */
    private static final Pattern SLURM_GPUS = Pattern.compile("([A-Za-z0-9_.-]+:)?[1-9]\\d{0,3}");
    /** Slurm --mem: megabytes, or a number with K, M, G or T. */
    private static final Pattern SLURM_MEMORY = Pattern.compile("[1-9]\\d*[KMGTkmgt]?");
    /** A Kubernetes quantity for cpu: cores, decimal cores or millicores. */
    private static final Pattern K8S_CPU = Pattern.compile("(\\d+(\\.\\d+)?|\\.\\d+|\\d+m)");
    /** A Kubernetes quantity for memory: bytes with a binary or decimal suffix, or an exponent. */
    private static final Pattern K8S_MEMORY = Pattern.compile("\\d+(\\.\\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE]\\d+)?");
    /** An image reference as the distribution spec reads it: [registry[:port]/]path[:tag][@digest]. */
    private static final Pattern IMAGE;
    /** A DNS-1123 subdomain: what a PersistentVolumeClaim's name must be. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    static {
        String label = "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?";
        String domain = label + "(\\." + label + ")*(:[0-9]+)?";
        String component = "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*";
        IMAGE = Pattern.compile("(" + domain + "/)?" + component + "(/" + component + ")*"
                + "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?");
    }

    private JobFlags() {}

    /** Refuses what {@code scheduler} (slurm or k8s) would not accept, or what could escape its line. */
    static void check(String scheduler, JobScripts.Resources r, String launcher) {
        noControl("--launcher", launcher);
        if (launcher == null || launcher.isBlank()) {
            throw new ConfigException("--launcher: empty; give the command that starts tlab, e.g. ./tlab or"
                    + " 'java -jar /opt/tlab/tlab.jar'");
        }
        for (String[] flag : new String[][] {{"--partition", r.partition()}, {"--gpus", r.gpus()}, {"--cpus", r.cpus()},
                {"--mem", r.memory()}, {"--time", r.time()}, {"--image", r.image()}, {"--workdir", r.workdir()},
                {"--pvc", r.volumeClaim()}}) {
            noControl(flag[0], flag[1]);
        }
        if (r.parallel() < 0) {
            throw new ConfigException("--parallel: must be >= 0 (0 runs all at once), got " + r.parallel());
        }
        boolean slurm = scheduler.equals("slurm");
        match("--partition", r.partition(), PARTITION, "a Slurm partition name (letters, digits, '_', '.', '-'),"
                + " or several separated by commas");
        match("--time", r.time(), SLURM_TIME, "a Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or"
                + " D-HH:MM:SS (e.g. 02:00:00)");
        match("--gpus", r.gpus(), slurm ? SLURM_GPUS : COUNT, slurm ? "a GPU count >= 1, or TYPE:COUNT (e.g. a100:2)"
                : "a whole number of GPUs >= 1 (Kubernetes nvidia.com/gpu)");
        match("--cpus", r.cpus(), slurm ? COUNT : K8S_CPU, slurm ? "a whole number of cores >= 1 (Slurm --cpus-per-task)"
                : "a Kubernetes cpu quantity: cores (4, 0.5) or millicores (500m)");
        if (!slurm && r.cpus() != null && !r.cpus().isBlank() && r.cpus().strip().matches("[0.]+m?")) {
            throw new ConfigException("--cpus: '" + r.cpus().strip() + "' is no CPU at all; give more than 0");
        }
        match("--mem", r.memory(), slurm ? SLURM_MEMORY : K8S_MEMORY, slurm
                ? "a Slurm memory size: megabytes, or a number with K, M, G or T (e.g. 16G)"
                : "a Kubernetes memory quantity (e.g. 16Gi, 512Mi)");
        match("--image", r.image(), IMAGE, "an image reference: [REGISTRY/]NAME[:TAG][@DIGEST] in lower case"
                + " (e.g. registry.example/tlab:0.1)");
        if (r.volumeClaim() != null && !r.volumeClaim().isBlank()
                && (r.volumeClaim().strip().length() > 253 || !DNS_SUBDOMAIN.matcher(r.volumeClaim().strip()).matches())) {
            throw new ConfigException("--pvc: '" + r.volumeClaim().strip() + "' is not a PersistentVolumeClaim name:"
                    + " lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253");
        }
        if (r.workdir() != null && !r.workdir().isBlank() && !r.workdir().strip().startsWith("/")) {
            throw new ConfigException("--workdir: '" + r.workdir().strip() + "' is relative; the container's working"
                    + " directory must be an absolute path (e.g. /work)");
        }
    }

    /** Refuses control characters (line breaks, tabs, escapes) in {@code value}, naming the first. */
    static void noControl(String what, String value) {
        if (value == null) {
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new ConfigException(what + ": holds the control character U+" + String.format("%04X", (int) c)
                        + (c == '\n' || c == '\r' ? " (a line break)" : c == '\t' ? " (a tab)" : "")
                        + " at position " + (i + 1) + "; a job's values must be printable");
            }
        }
    }

    private static void match(String flag, String value, Pattern pattern, String allowed) {
        if (value != null && !value.isBlank() && !pattern.matcher(value.strip()).matches()) {
            throw new ConfigException(flag + ": '" + value.strip() + "' is not " + allowed);
        }
    }
}
