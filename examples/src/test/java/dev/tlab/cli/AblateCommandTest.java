package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AblateCommandTest {

    @TempDir Path dir;

    private Path tinySpec() throws Exception {
        Path spec = dir.resolve("tiny.yaml");
        Files.writeString(spec, String.join("\n",
                "base: " + Path.of("../configs/shakespeare-char.yaml").toAbsolutePath().normalize(),
                "grid:",
                "  model.norm_placement: [pre, post]",
                "  model.positional: [learned, alibi]",
                "seeds: [1, 2]",
                "contexts: [2, 4]",
                "set:",
                "  model.layers: 1",
                "  model.d_model: 16",
                "  model.heads: 2",
                "  model.context: 8",
                "  train.batch_size: 4",
                "  train.steps: 4",
                "  train.warmup: 1",
                "  train.eval_every: 2",
                "  train.eval_batches: 1",
                "  train.device: cpu",
                "  checkpoint.keep: 1",
                "  sample.tokens: 0",
                "  sample.prompt: 'ROMEO: hi'",
                "  output.dir: " + dir.resolve("runs"),
                ""));
        return spec;
    }

    /** Splits a POSIX shell line into words, honouring single quotes (all that emitted jobs use). */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    words.add(word.toString());
                }
                word.setLength(0);
                any = false;
            } else {
                word.append(c);
                any = true;
            }
        }
        if (any) {
            words.add(word.toString());
        }
        return words;
    }

    @Test
    void emittedJobsRunAnywhereAndCollectBuildsTheTableFromTheirRunDirectories() throws Exception {
        Path spec = tinySpec();
        Outcome emitted = run("ablate", spec.toString(), "--emit-jobs", "--launcher", "tlab");
        assertEquals(0, emitted.code(), emitted.err());
        List<String> jobs = emitted.out().lines().toList();
        assertEquals(8, jobs.size(), emitted.out());
        assertTrue(jobs.get(0).startsWith("tlab train "), jobs.get(0));
        assertTrue(jobs.get(0).contains(" --set 'sample.prompt=\"ROMEO: hi\"' "), jobs.get(0));
        assertTrue(jobs.get(0).endsWith(" --set name=pre-learned-seed1"), jobs.get(0));
        Path sweep = dir.resolve("runs/tiny");

        // Collect before any job ran: an empty table, every run listed as missing.
        Outcome early = run("ablate", spec.toString(), "--collect", "-q");
        assertEquals(0, early.code(), early.err());
        assertTrue(Files.readString(sweep.resolve("results.md")).contains("0 of 8 complete; missing: pre-learned-seed1"));

        // Each job is a plain train command, run here as a scheduler would run it elsewhere.
        for (String job : jobs.subList(0, 6)) {
            List<String> args = words(job);
            Outcome trained = run(args.subList(1, args.size()).toArray(String[]::new));
            assertEquals(0, trained.code(), job + "\n" + trained.err());
        }
        Outcome partial = run("ablate", spec.toString(), "--collect", "-q");
        assertEquals(0, partial.code(), partial.err());
        String md = Files.readString(sweep.resolve("results.md"));
        assertTrue(md.contains("6 of 8 complete; missing: post-learned-seed2, post-alibi-seed2"), md);
        assertTrue(md.contains("| post-alibi | post | alibi | 1/2 |"), md);

        for (String job : jobs.subList(6, 8)) {
            List<String> args = words(job);
            assertEquals(0, run(args.subList(1, args.size()).toArray(String[]::new)).code());
        }
        Outcome collected = run("ablate", spec.toString(), "--collect");
        assertEquals(0, collected.code(), collected.err());
        assertTrue(collected.out().contains("8 of 8 complete"), collected.out());
        List<String> csv = Files.readAllLines(sweep.resolve("results.csv"));
        assertEquals(5, csv.size());
        assertEquals("setting,model.norm_placement,model.positional,seeds", String.join(",", List.of(csv.get(0).split(",")).subList(0, 4)));
        for (String row : csv.subList(1, 5)) {
            assertEquals("2", row.split(",")[3], row);
        }
        assertTrue(csv.get(2).startsWith("pre-alibi,pre,alibi,2,"), csv.get(2));
        assertTrue(Files.isRegularFile(sweep.resolve("curves.png")));
        // --collect measured the extrapolation the jobs did not.
        assertTrue(Files.isRegularFile(sweep.resolve("pre-alibi-seed1/eval.json")));

        // The jobs' runs are the sweep's runs: running the sweep now trains nothing.
        long before = Files.getLastModifiedTime(sweep.resolve("pre-alibi-seed1/done.json")).toMillis();
        Outcome again = run("ablate", spec.toString(), "-q");
        assertEquals(0, again.code(), again.err());
        assertEquals(before, Files.getLastModifiedTime(sweep.resolve("pre-alibi-seed1/done.json")).toMillis());
    }

    @Test
    void badGridKeyIsOneLineListingTheValidKeys() throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "base: " + Path.of("../configs/shakespeare-char.yaml").toAbsolutePath()
                + "\ngrid:\n  model.pos: [rope]\n");
        Outcome bad = run("ablate", spec.toString(), "--emit-jobs");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: " + spec + ": unknown grid key 'model.pos'; valid keys: model.layers, "), bad.err());
        assertTrue(bad.err().contains("model.positional"), bad.err());
        assertFalse(bad.err().contains("\tat "), bad.err());
    }

    @Test
    void evalReportsEachContextAndSaysWhereLearnedPositionsStop() {
        Outcome train = run("train", "../configs/shakespeare-char.yaml", "-q", "--set", "output.dir=" + dir,
                "--set", "name=ctx", "--set", "train.steps=3", "--set", "model.layers=1", "--set", "model.d_model=16",
                "--set", "model.heads=2", "--set", "model.context=16", "--set", "train.eval_batches=1",
                "--set", "sample.tokens=0", "--set", "train.device=cpu");
        assertEquals(0, train.code(), train.err());
        Outcome eval = run("eval", dir.resolve("ctx").toString(), "--contexts", "16,32,64", "--batches", "2", "--device", "cpu");
        assertEquals(0, eval.code(), eval.err());
        List<String> lines = eval.out().lines().toList();
        assertTrue(lines.get(0).contains("trained at context 16, positional learned"), eval.out());
        assertTrue(lines.get(2).matches("\\s+16\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}"), lines.get(2));
        assertTrue(lines.get(3).matches("\\s+32\\s+n/a: learned positions have a table of 16 rows.*"), lines.get(3));
        assertTrue(lines.get(4).startsWith("      64  n/a: "), lines.get(4));

        Outcome defaults = run("eval", dir.resolve("ctx").toString(), "--batches", "1", "--device", "cpu");
        assertEquals(0, defaults.code(), defaults.err());
        assertTrue(defaults.out().contains("      16  ") && defaults.out().contains("      32  n/a")
                && defaults.out().contains("      64  n/a"), "default contexts are 1x, 2x and 4x: " + defaults.out());
    }
}
