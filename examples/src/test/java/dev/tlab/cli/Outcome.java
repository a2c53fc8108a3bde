package dev.tlab.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** What a command returned and printed, run in-process through {@link Main#run} with captured streams. */
record Outcome(int code, String out, String err) {

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    static Outcome run(List<String> args) {
        return run(args.toArray(String[]::new));
    }
}
