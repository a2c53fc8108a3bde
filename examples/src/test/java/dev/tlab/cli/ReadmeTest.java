package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's {@code bash} blocks run as written, top to bottom, so that a newcomer's first hour works.
 *
 * <p>How: every {@code ./tlab ...} line of every {@code bash} block is run, in README order, by
 * {@link ReadmeRunner} in one child JVM whose working directory is a fresh folder holding copies
 * of {@code configs/} and {@code examples/data/}: it stands in for the repository root, so relative
 * paths ({@code runs/...}, {@code configs/...}) mean what they mean there, and what the commands
 * write (runs, token shards) stays out of the repository. Later lines see what earlier ones made. A
 * line that exits with anything but 0 fails the test, naming its README line. Other lines
 * ({@code mvn}, {@code tensorboard}, a download) are not tlab's and are not run. The child runs with
 * {@code OMP_NUM_THREADS=1}: the models are tiny, and a machine shared with other work is common.
 *
 * <p>Substitutions, so that the whole README takes well under a minute:
 * <ul>
 *   <li>Step counts. On {@code train}, {@code finetune}, {@code resume} and {@code ablate} lines a
 *       written {@code train.steps=K} becomes {@code train.steps=K/100} (at least 2); a {@code train},
 *       {@code finetune} or {@code ablate} line that writes none gets {@code --set train.steps=20}
 *       appended (the main run's 2,000 steps / 100), so a later {@code resume --set train.steps=3000}
 *       still trains further (30 steps).</li>
 *   <li>Placeholders. A comment {@code <!-- readme-test: PLACEHOLDER = PATH -->} in the README makes
 *       every later command read PATH (relative to the repository root) where it says PLACEHOLDER,
 *       e.g. {@code $HOME/my-texts = examples/src/test/resources/my-texts}; PATH is copied into the
 *       working folder first. A block about a downloaded model names the download folder as its
 *       placeholder and a small committed fixture as PATH (e.g. {@code models/gpt2 =
 *       training/src/test/resources/...}).</li>
 *   <li>Blocks that cannot run here (a 16-run sweep, a GPU, a cluster, a download with no fixture
 *       that stands in for it) follow a comment {@code <!-- readme-test: skip REASON -->}; the reason
 *       is required. Their {@code ./tlab} lines are still checked for the repository files they name
 *       ({@code configs/...}, {@code examples/...}, {@code scripts/...}).</li>
 * </ul>
 * Shell syntax beyond quotes, comments and {@code \} continuations (pipes, redirections, {@code &&},
 * a {@code $VARIABLE} that no placeholder covers) in a line that runs fails the test: such a block
 * needs a skip with its reason.
 */
class ReadmeTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern DIRECTIVE = Pattern.compile("<!--\\s*readme-test:\\s*(.*?)\\s*-->");
    private static final Pattern STEPS = Pattern.compile("train\\.steps=(\\d+)");
    private static final List<String> TRAINING = List.of("train", "finetune", "resume", "ablate");
    private static final int DEFAULT_STEPS = 20;
    private static final int STEP_DIVISOR = 100;
    private static final Pattern PREPARED = Pattern.compile("(^|/)(target|[^/]*\\.(gpt2|bpe-[^/]*|hf-[^/]*|preparing))(/|$)");

    /** A {@code ./tlab} line of the README, as the test runs it. */
    record Command(int line, List<String> args) {}

    /** What the README asks: commands to run, placeholders to copy in, and what was left out. */
    record Plan(List<Command> commands, Map<String, String> fixtures, List<String> notRun) {}

    @TempDir Path work;

    @Test
    void theTwoCommandsAreThere() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertTrue(readme.contains("\n./tlab train configs/shakespeare-char.yaml "), "the main job's command");
        assertTrue(readme.contains("\nmvn -B test "), "the test command");
    }

    @Test
    void everyBashBlockRunsAsWritten() throws Exception {
        Plan plan = plan(Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8));
        assertTrue(plan.commands().size() >= 10, "the README's tlab lines: " + plan.commands());
        Result result = runIn(work, plan);
        // Each line's exit code and time, for whoever wonders where the test's time goes.
        result.log().lines().filter(l -> l.startsWith("README line ") || l.startsWith("not run") || l.startsWith("  line "))
                .forEach(System.out::println);
        assertEquals(0, result.code(), "a README line failed:\n" + result.log());
        Path run = work.resolve("runs/shakespeare-char");
        assertTrue(Files.exists(run.resolve("done.json")), "the main run finished");
        assertTrue(result.log().contains("step 30"), "resume trained further:\n" + result.log());
    }

    /** The test can fail: a line that names a run nothing made stops it there, naming that line. */
    @Test
    void aBrokenLineFailsNamingIt() throws Exception {
        List<String> readme = List.of("# x", "```bash", "./tlab --help", "./tlab compare runs/pre-rope runs/pre-alibi",
                "./tlab --version", "```");
        Result result = runIn(work, plan(readme));
        assertEquals(2, result.code(), result.log());
        assertTrue(result.log().contains("README line 4 failed with exit code 2: tlab compare runs/pre-rope"), result.log());
        assertFalse(result.log().contains("README line 5"), "stops at the first failure:\n" + result.log());
    }

    @Test
    void stepCountsShrinkAndPlaceholdersAndSkipsAreHonoured() {
        Plan plan = plan(List.of("<!-- readme-test: $HOME/texts = examples/data/pride-and-prejudice -->", "```bash",
                "./tlab train configs/x.yaml --set \"data.path=$HOME/texts\" \\", "    --set 'name=a b'   # a comment",
                "./tlab resume runs/x --set train.steps=3000", "./tlab sample runs/x --prompt \"ROMEO: #1\"",
                "mvn -B test", "```", "<!-- readme-test: skip needs a GPU -->", "```bash",
                "./tlab train configs/shakespeare-char.yaml --set train.device=gpu", "```"));
        assertEquals(List.of(
                new Command(3, List.of("train", "configs/x.yaml", "--set", "data.path=examples/data/pride-and-prejudice",
                        "--set", "name=a b", "--set", "train.steps=" + DEFAULT_STEPS)),
                new Command(5, List.of("resume", "runs/x", "--set", "train.steps=30")),
                new Command(6, List.of("sample", "runs/x", "--prompt", "ROMEO: #1"))), plan.commands());
        assertEquals(Map.of("$HOME/texts", "examples/data/pride-and-prejudice"), plan.fixtures());
        assertEquals(List.of("line 7: mvn -B test", "line 11 (needs a GPU): ./tlab train configs/shakespeare-char.yaml"
                + " --set train.device=gpu"), plan.notRun());
        assertThrows(AssertionError.class, () -> plan(List.of("```bash", "./tlab inspect runs/x | head", "```")));
        assertThrows(AssertionError.class, () -> plan(List.of("```bash", "./tlab inspect $RUN", "```")));
        assertThrows(AssertionError.class, () -> plan(List.of("<!-- readme-test: skip -->", "```bash", "./tlab x", "```")));
        assertThrows(AssertionError.class, () -> plan(List.of("<!-- readme-test: skip gone -->", "```bash",
                "./tlab train configs/no-such.yaml", "```")));
    }

    /** The README's lines as commands, with the substitutions described above. */
    static Plan plan(List<String> readme) {
        List<Command> commands = new ArrayList<>();
        Map<String, String> fixtures = new LinkedHashMap<>();
        List<String> notRun = new ArrayList<>();
        String skip = null;
        boolean inBash = false;
        StringBuilder pending = new StringBuilder();
        int pendingLine = 0;
        for (int i = 0; i < readme.size(); i++) {
            String line = readme.get(i);
            int number = i + 1;
            if (!inBash) {
                Matcher directive = DIRECTIVE.matcher(line);
                if (directive.find()) {
                    String text = directive.group(1);
                    if (text.equals("skip") || text.startsWith("skip ")) {
                        skip = text.substring(4).strip();
                        assertFalse(skip.isEmpty(), "README line " + number + ": a skip needs its reason");
                    } else {
                        String[] mapping = text.split("\\s+=\\s+", 2);
                        assertEquals(2, mapping.length, "README line " + number + ": PLACEHOLDER = PATH or skip REASON");
                        fixtures.put(mapping[0], mapping[1]);
                    }
                } else if (line.strip().equals("```bash")) {
                    inBash = true;
                }
                continue;
            }
            if (line.strip().equals("```")) {
                inBash = false;
                skip = null;
                continue;
            }
            if (pending.isEmpty()) {
                pendingLine = number;
            }
            String code = withoutComment(line, pendingLine);
            if (code.endsWith("\\")) {
                pending.append(code, 0, code.length() - 1).append(' ');
                continue;
            }
            String whole = (pending + code).strip();
            pending.setLength(0);
            if (whole.isEmpty()) {
                continue;
            }
            if (!whole.startsWith("./tlab ") && !whole.equals("./tlab")) {
                notRun.add("line " + pendingLine + ": " + whole);
                continue;
            }
            List<String> args = words(substitute(whole.substring("./tlab".length()), fixtures), pendingLine);
            if (skip != null) {
                notRun.add("line " + pendingLine + " (" + skip + "): " + whole);
                checkRepositoryPaths(args, pendingLine);
                continue;
            }
            commands.add(new Command(pendingLine, shortened(args)));
        }
        return new Plan(commands, fixtures, notRun);
    }

    private static String substitute(String line, Map<String, String> fixtures) {
        for (Map.Entry<String, String> fixture : fixtures.entrySet()) {
            line = line.replace(fixture.getKey(), fixture.getValue());
        }
        return line;
    }

    /** The line without a {@code #} comment outside quotes. */
    private static String withoutComment(String line, int number) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i).stripTrailing();
            }
        }
        return line.stripTrailing();
    }

    /** Shell words: quotes group, nothing expands; other shell syntax is refused. */
    private static List<String> words(String line, int number) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    assertFalse(quote == '"' && (c == '$' || c == '`' || c == '\\'),
                            "README line " + number + ": expansion inside double quotes: " + line);
                    word.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                assertFalse("|&;<>()$`\\*?[{".indexOf(c) >= 0, "README line " + number + ": shell syntax '" + c
                        + "' in a line that runs; mark its block <!-- readme-test: skip REASON -->: " + line);
                word = word == null ? new StringBuilder() : word;
                if (c == '\'' || c == '"') {
                    quote = c;
                } else {
                    word.append(c);
                }
            }
        }
        assertEquals(0, quote, "README line " + number + ": unclosed quote: " + line);
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /** Step counts divided by 100 (at least 2); training commands that name none get the default. */
    private static List<String> shortened(List<String> args) {
        List<String> shortened = new ArrayList<>();
        boolean named = false;
        for (String arg : args) {
            Matcher steps = STEPS.matcher(arg);
            if (steps.find()) {
                named = true;
                int written = Integer.parseInt(steps.group(1));
                arg = steps.replaceFirst("train.steps=" + Math.max(2, written / STEP_DIVISOR));
            }
            shortened.add(arg);
        }
        if (!args.isEmpty() && TRAINING.contains(args.get(0)) && !args.get(0).equals("resume") && !named) {
            shortened.addAll(List.of("--set", "train.steps=" + DEFAULT_STEPS));
        }
        return shortened;
    }

    /** A line that is not run still names repository files that exist. */
    private static void checkRepositoryPaths(List<String> args, int number) {
        for (String arg : args) {
            String path = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg;
            if (path.startsWith("configs/") || path.startsWith("examples/") || path.startsWith("scripts/")) {
                assertTrue(Files.exists(ROOT.resolve(path)), "README line " + number + ": no such file: " + path);
            }
        }
    }

    record Result(int code, String log) {}

    /** Runs the plan in a child JVM whose working directory is {@code work}, set up as a stand-in repository root. */
    static Result runIn(Path work, Plan plan) throws IOException, InterruptedException {
        copy(ROOT.resolve("configs"), work.resolve("configs"));
        copy(ROOT.resolve("examples/data"), work.resolve("examples/data"));
        for (String fixture : plan.fixtures().values()) {
            copy(ROOT.resolve(fixture), work.resolve(fixture));
        }
        List<String> lines = plan.commands().stream()
                .map(c -> c.line() + "\t" + String.join("\t", c.args())).toList();
        Path commands = Files.write(work.resolve("readme-commands.tsv"), lines, StandardCharsets.UTF_8);
        Path log = work.resolve("readme.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), ReadmeRunner.class.getName(), commands.toString())
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            return new Result(-1, "timed out:\n" + Files.readString(log));
        }
        String notRun = plan.notRun().isEmpty() ? "" : "not run:\n  " + String.join("\n  ", plan.notRun()) + "\n";
        return new Result(process.exitValue(), notRun + Files.readString(log, StandardCharsets.UTF_8));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            // Token shards prepared beside a corpus in this checkout (ignored by git) are not part of it.
            for (Path file : files.filter(f -> !PREPARED.matcher(from.relativize(f).toString()).find()).toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else if (!Files.exists(target)) {
                    Files.copy(file, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
