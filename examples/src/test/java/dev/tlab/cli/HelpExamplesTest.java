package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Every example command in the help is printed whole, on lines of its own, within the help's 80 columns. */
class HelpExamplesTest {

    /** The help of tlab and of each command. */
    private static List<String> helps() {
        List<String> helps = new ArrayList<>();
        helps.add(run("--help").out());
        for (String name : new CommandLine(new Main()).getSubcommands().keySet()) {
            if (!name.equals("help")) {
                helps.add(run(name, "--help").out());
            }
        }
        return helps;
    }

    @Test
    void theExamplesOfTlabHelpArePrintedWhole() {
        List<String> printed = run("--help").out().lines().map(String::stripTrailing).toList();
        String[] footer = Main.class.getAnnotation(Command.class).footer();
        long examples = Stream.of(footer).filter(line -> line.startsWith("  ")).count();
        assertTrue(examples >= 13, "the examples: " + examples);
        for (String line : footer) {
            assertTrue(printed.contains(line), "'" + line + "' is one line of tlab --help:\n" + String.join("\n", printed));
            if (line.startsWith("      ")) {
                int at = printed.indexOf(line);
                assertTrue(printed.get(at - 1).endsWith(" \\"), "a continued example ends its first line with a backslash: "
                        + printed.get(at - 1));
            }
        }
    }

    @Test
    void noHelpLineIsWiderThan80Columns() {
        for (String help : helps()) {
            help.lines().forEach(line -> assertTrue(line.stripTrailing().length() <= 80, line));
        }
    }

    @Test
    void aCommandLineInADescriptionIsALineOfItsOwn() {
        String help = run("import", "--help").out();
        assertTrue(help.lines().map(String::strip).toList()
                .contains("huggingface-cli download HuggingFaceTB/SmolLM2-135M --local-dir models/smollm2"), help);
        assertEquals(1, help.split("huggingface-cli", -1).length - 1, help);
    }
}
