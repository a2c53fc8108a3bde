package dev.tlab.cli;

import dev.tlab.config.TrainConfig;
import dev.tlab.train.StopRequest;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a training command runs: SIGTERM and SIGINT ask the run to stop cleanly (the JVM's own
 * handling would exit while the main thread is inside libtorch, and crash), and the checkpoint
 * signal ({@code train.checkpoint_signal}) asks for a checkpoint now. The handlers only set a
 * {@link StopRequest}; the step loop acts on it between steps, so a second signal changes nothing.
 */
final class SignalWatch implements AutoCloseable {

    /** In the tlab process the handlers stay until it exits: a late signal must not fall back to the JVM's default. */
    private static volatile boolean restoreOnClose = true;

    private final StopRequest request = new StopRequest();
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalWatch() {}

    /** @param checkpointSignal a {@link TrainConfig#CHECKPOINT_SIGNALS} name, or {@link TrainConfig#NO_SIGNAL} */
    static SignalWatch install(String checkpointSignal) {
        SignalWatch watch = new SignalWatch();
        for (String name : List.of("TERM", "INT")) {
            watch.handle(name, s -> watch.request.stop(new StopRequest.Reason("SIG" + s.getName(), 128 + s.getNumber())));
        }
        if (!checkpointSignal.equals(TrainConfig.NO_SIGNAL)) {
            watch.handle(checkpointSignal, s -> watch.request.checkpoint("SIG" + s.getName()));
        }
        return watch;
    }

    /**
     * For a command that is not a training run ({@code prepare}, {@code import}): SIGTERM and SIGINT
     * interrupt the thread that calls this, whose work then fails and cleans up after itself;
     * {@link #stopped} tells the command why it failed.
     */
    static SignalWatch interrupting() {
        SignalWatch watch = new SignalWatch();
        Thread worker = Thread.currentThread();
        for (String name : List.of("TERM", "INT")) {
            watch.handle(name, s -> {
                watch.request.stop(new StopRequest.Reason("SIG" + s.getName(), 128 + s.getNumber()));
                worker.interrupt();
            });
        }
        return watch;
    }

    /** A stop a signal asked for, or null. */
    StopRequest.Reason stopped() {
        return request.reason();
    }

    /** Called by {@link Main#main}, which exits right after the command. */
    static void holdUntilExit() {
        restoreOnClose = false;
    }

    StopRequest request() {
        return request;
    }

    private void handle(String name, SignalHandler handler) {
        Signal signal = new Signal(name);
        try {
            previous.add(Signal.handle(signal, handler));
            signals.add(signal);
        } catch (IllegalArgumentException e) {
            // The JVM keeps this signal (e.g. it runs with -Xrs); it then acts as it always did.
        }
    }

    /** Puts the previous handlers back (in-process callers such as tests). */
    @Override
    public void close() {
        if (restoreOnClose) {
            for (int i = 0; i < signals.size(); i++) {
                Signal.handle(signals.get(i), previous.get(i));
            }
        }
    }
}
