package dev.tlab.config;

import dev.tlab.errors.ConfigException;

/**
 * The optimisation loop: schedule, AdamW, clipping, evaluation cadence, device, seed, profiling and
 * the signal that asks for a checkpoint, whether a non-finite loss stops the run, and the CPU threads
 * one operation may use ({@code threads}; 0 = libtorch's own count), and what extending a run does to
 * its schedule ({@code extend}).
 */
public record TrainConfig(
        int steps,
        int batchSize,
        int gradAccum,
        double lr,
        double minLr,
        int warmup,
        int decaySteps,
        double weightDecay,
        double beta1,
        double beta2,
        double eps,
        double gradClip,
        int evalEvery,
        int evalBatches,
        int logEvery,
        String device,
        String precision,
        long seed,
        int profileSteps,
        String checkpointSignal,
        boolean stopOnNan,
        int threads,
        String extend) {

    /** Signals {@code train.checkpoint_signal} may name; TERM and INT always stop the run instead. */
    public static final java.util.List<String> CHECKPOINT_SIGNALS = java.util.List.of("USR1", "USR2", "HUP");

    /** {@code train.checkpoint_signal} when no signal asks for checkpoints. */
    public static final String NO_SIGNAL = "none";

    /**
     * {@code train.precision}'s values. Whether bf16 can run is known only once libtorch is loaded
     * (it needs a JNI library that maps bfloat16), so the run refuses it at its start, not here.
     */
    public static final java.util.List<String> PRECISIONS = java.util.List.of("fp32", "fp16", "bf16");

    /**
     * {@code train.extend}'s values: what a resume with more steps than its run had does to the cosine.
     * {@code restretch} ends it at the new {@code train.steps}, so the rate climbs back up; {@code
     * constant} keeps its end, so the added steps run at {@code min_lr}.
     */
    public static final java.util.List<String> EXTENDS = java.util.List.of("restretch", "constant");

    public TrainConfig {
        atLeast("train.steps", steps, 1);
        atLeast("train.batch_size", batchSize, 1);
        atLeast("train.grad_accum", gradAccum, 1);
        atLeast("train.warmup", warmup, 0);
        atLeast("train.decay_steps", decaySteps, 0);
        atLeast("train.eval_every", evalEvery, 1);
        atLeast("train.eval_batches", evalBatches, 1);
        atLeast("train.log_every", logEvery, 1);
        atLeast("train.profile_steps", profileSteps, 0);
        atLeast("train.threads", threads, 0);
        int needed = dev.tlab.profile.StepProfiler.stepsNeeded(profileSteps);
        if (profileSteps > 0 && steps < needed) {
            throw new ConfigException("train.profile_steps = " + profileSteps + " needs train.steps >= " + needed
                    + " (" + dev.tlab.profile.StepProfiler.WARMUP_STEPS + " warm-up steps, the timed steps and one traced"
                    + " step), got " + steps);
        }
        if (!(lr > 0)) {
            throw new ConfigException("train.lr must be > 0, got " + lr);
        }
        if (!(minLr >= 0 && minLr <= lr)) {
            throw new ConfigException("train.min_lr must be in [0, train.lr], got " + minLr);
        }
        if (!(weightDecay >= 0)) {
            throw new ConfigException("train.weight_decay must be >= 0, got " + weightDecay);
        }
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new ConfigException(
                    "train.betas must both be in [0, 1), got [" + beta1 + ", " + beta2 + "]");
        }
        if (!(eps > 0)) {
            throw new ConfigException("train.eps must be > 0, got " + eps);
        }
        if (!(gradClip >= 0)) {
            throw new ConfigException("train.grad_clip must be >= 0 (0 = off), got " + gradClip);
        }
        checkpointSignal = checkpointSignal(checkpointSignal);
        dev.tlab.train.Devices.check("train.device", device);
        if (!EXTENDS.contains(extend)) {
            throw new ConfigException("train.extend: unsupported value '" + extend + "'; allowed: "
                    + String.join(", ", EXTENDS));
        }
        if (!PRECISIONS.contains(precision)) {
            throw new ConfigException("train.precision: unsupported value '" + precision + "'; allowed: "
                    + String.join(", ", PRECISIONS));
        }
    }

    /** Whether forward and backward run in a 16-bit type (fp16 or bf16) over fp32 master weights. */
    public boolean halfPrecision() {
        return !precision.equals("fp32");
    }

    /** Whether the loss is scaled before backward, with overflowed steps skipped: fp16 only. */
    public boolean lossScaling() {
        return precision.equals("fp16");
    }

    /** The type forward and backward run in. */
    public ai.djl.ndarray.types.DataType computeType() {
        return switch (precision) {
            case "fp16" -> ai.djl.ndarray.types.DataType.FLOAT16;
            case "bf16" -> ai.djl.ndarray.types.DataType.BFLOAT16;
            default -> ai.djl.ndarray.types.DataType.FLOAT32;
        };
    }

    /** Whether the step that completes {@code done} steps logs a train loss (the first and last always do). */
    public boolean logs(long done) {
        return done % logEvery == 0 || done == 1 || done == steps;
    }

    /** Whether the step that completes {@code done} steps is followed by an evaluation (the last always is). */
    public boolean evaluates(long done) {
        return done % evalEvery == 0 || done == steps;
    }

    /** Whether a resume with more steps keeps the cosine's end ({@code train.extend: constant}). */
    public boolean extendsAtFinalRate() {
        return extend.equals("constant");
    }

    /** Steps over which the cosine runs from lr down to min_lr. */
    public int cosineEnd() {
        return decaySteps > 0 ? decaySteps : steps;
    }

    /** {@code USR1}, {@code SIGUSR1} and {@code usr1} all name SIGUSR1; empty means none. */
    private static String checkpointSignal(String value) {
        String name = value.trim().toUpperCase(java.util.Locale.ROOT);
        if (name.isEmpty() || name.equals("NONE")) {
            return NO_SIGNAL;
        }
        name = name.startsWith("SIG") ? name.substring(3) : name;
        if (!CHECKPOINT_SIGNALS.contains(name)) {
            throw new ConfigException("train.checkpoint_signal: unsupported value '" + value
                    + "' (TERM and INT always stop the run with a checkpoint); allowed: "
                    + String.join(", ", CHECKPOINT_SIGNALS) + ", " + NO_SIGNAL);
        }
        return name;
    }

    private static void atLeast(String key, long value, long min) {
        if (value < min) {
            throw new ConfigException(key + " must be >= " + min + ", got " + value);
        }
    }
}
