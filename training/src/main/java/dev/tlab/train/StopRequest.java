package dev.tlab.train;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Asks a running {@link Trainer} from another thread (a signal handler) to stop, or to write a
 * checkpoint now and keep going. Setting it is all a handler does: the step loop reads it between
 * steps, so nothing ever stops the run while it is inside libtorch.
 */
public final class StopRequest {

    /** Why a run stops: a name for the message (e.g. {@code SIGTERM}) and the process exit code it calls for. */
    public record Reason(String name, int exitCode) {}

    private final AtomicReference<Reason> stop = new AtomicReference<>();
    private final AtomicReference<String> checkpoint = new AtomicReference<>();

    /** Stop after the current step, with a checkpoint; the first reason given is kept. */
    public void stop(Reason reason) {
        stop.compareAndSet(null, reason);
    }

    /** Write a checkpoint after the current step and continue; {@code why} names the request (e.g. {@code SIGUSR1}). */
    public void checkpoint(String why) {
        checkpoint.set(why);
    }

    /** The reason to stop, or null while the run should go on. */
    public Reason reason() {
        return stop.get();
    }

    public boolean stopping() {
        return stop.get() != null;
    }

    /** The pending checkpoint request, which this clears; null when there is none. */
    public String takeCheckpoint() {
        return checkpoint.getAndSet(null);
    }
}
