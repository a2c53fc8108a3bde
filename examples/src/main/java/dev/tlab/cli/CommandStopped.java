package dev.tlab.cli;

import dev.tlab.train.StopRequest;

/** A command other than training stopped by a signal: its one line, and the exit code the signal calls for. */
final class CommandStopped extends RuntimeException {

    private final int exitCode;

    CommandStopped(StopRequest.Reason reason, String what, Throwable cause) {
        super(what + " stopped by " + reason.name() + "; " + "nothing partial is kept", cause);
        this.exitCode = reason.exitCode();
    }

    int exitCode() {
        return exitCode;
    }
}
