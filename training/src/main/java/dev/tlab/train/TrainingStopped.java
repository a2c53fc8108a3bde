package dev.tlab.train;

import java.nio.file.Path;

/**
 * A run stopped on a {@link StopRequest} before its last step. Its message is the one line to
 * print: where it stopped, the checkpoint it left and the command that continues it.
 */
public final class TrainingStopped extends RuntimeException {

    private final StopRequest.Reason reason;
    private final String where;
    private final long step;
    private final Path checkpoint;

    /**
     * @param step the last finished step
     * @param checkpoint the checkpoint of that step
     * @param continueWith the command that continues the run
     */
    public TrainingStopped(StopRequest.Reason reason, long step, Path checkpoint, String continueWith) {
        this(reason, "after step " + step + "; checkpoint " + checkpoint, step, checkpoint, continueWith);
    }

    private TrainingStopped(StopRequest.Reason reason, String where, long step, Path checkpoint, String continueWith) {
        super("stopped by " + reason.name() + " " + where + "; continue with: " + continueWith, null, false, false);
        this.reason = reason;
        this.where = where;
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /**
     * A run stopped because it diverged ({@code train.stop_on_nan}): nothing of step {@code step} is
     * saved, and {@code lastGood}, the newest complete checkpoint from before it (null: none), is
     * where it can continue from.
     *
     * @param what what went wrong, e.g. {@code loss is NaN}
     */
    public static TrainingStopped diverged(int exitCode, long step, String what, Path lastGood, String continueWith) {
        String where = "at step " + step + " (" + what + "); no checkpoint of it written; "
                + (lastGood == null ? "no earlier checkpoint" : "newest complete checkpoint " + lastGood);
        return new TrainingStopped(new StopRequest.Reason("train.stop_on_nan", exitCode), where, step, lastGood,
                lastGood == null ? "a lower train.lr, from scratch" : continueWith + " (with a lower train.lr, say)");
    }

    /** A stop between runs of a sweep, {@code where} saying after what. */
    public static TrainingStopped between(StopRequest.Reason reason, String where, String continueWith) {
        return new TrainingStopped(reason, where, -1, null, continueWith);
    }

    /** The same stop, continued by another command (a sweep continues as a whole). */
    public TrainingStopped continuedWith(String command) {
        return new TrainingStopped(reason, where, step, checkpoint, command);
    }

    public StopRequest.Reason reason() {
        return reason;
    }

    /** The process exit code the stop calls for (128 + the signal's number). */
    public int exitCode() {
        return reason.exitCode();
    }

    /** The last finished step, or -1 for a stop between runs. */
    public long step() {
        return step;
    }

    /** The checkpoint of the last finished step (a divergence: the newest before it), or null for a stop between runs. */
    public Path checkpoint() {
        return checkpoint;
    }
}
