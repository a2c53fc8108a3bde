package dev.tlab.cli;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the README's commands one after another in this process, whose working directory stands in
 * for the repository root, and stops at the first that fails. Each line of the file given is
 * {@code README-LINE<TAB>ARG<TAB>ARG...}, as {@link ReadmeTest} writes it.
 */
public final class ReadmeRunner {

    private ReadmeRunner() {}

    public static void main(String[] args) throws IOException {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        List<String> commands = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        for (String command : commands) {
            String[] fields = command.split("\t");
            String[] tlabArgs = Arrays.copyOfRange(fields, 1, fields.length);
            out.println("README line " + fields[0] + ": tlab " + String.join(" ", tlabArgs));
            long start = System.nanoTime();
            int code = Main.run(out, err, tlabArgs);
            out.printf("README line %s: exit %d in %.1f s%n", fields[0], code, (System.nanoTime() - start) / 1e9);
            if (code != 0) {
                err.println("README line " + fields[0] + " failed with exit code " + code + ": tlab "
                        + String.join(" ", tlabArgs));
                System.exit(code);
            }
        }
        System.exit(0);
    }
}
