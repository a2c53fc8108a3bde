package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {

    @TempDir static Path dir;

    /** Three tiny runs: a, b with RMSNorm, c with RMSNorm and another lr. */
    @BeforeAll
    static void train() {
        String[][] runs = {{"a"}, {"b", "model.norm=rmsnorm"}, {"c", "model.norm=rmsnorm", "train.lr=3e-3"}};
        for (String[] run : runs) {
            List<String> args = new java.util.ArrayList<>(List.of("train", "../configs/shakespeare-char.yaml", "-q",
                    "--set", "output.dir=" + dir.resolve("runs"), "--set", "name=" + run[0], "--set", "train.device=cpu",
                    "--set", "model.layers=1", "--set", "model.d_model=16", "--set", "model.heads=2",
                    "--set", "model.context=8", "--set", "train.batch_size=4", "--set", "train.steps=6",
                    "--set", "train.warmup=1", "--set", "train.eval_every=3", "--set", "train.eval_batches=1",
                    "--set", "sample.tokens=0"));
            for (int i = 1; i < run.length; i++) {
                args.addAll(List.of("--set", run[i]));
            }
            Outcome trained = run(args);
            assertEquals(0, trained.code(), trained.err());
        }
    }

    @Test
    void oneTableWithOnlyTheKeysThatDifferInTextMarkdownAndCsvAndAPlot() throws Exception {
        Path md = dir.resolve("out/compare.md");
        Path csv = dir.resolve("out/compare.csv");
        Path png = dir.resolve("out/compare.png");
        Outcome outcome = run("compare", dir.resolve("runs") + "/*", "--markdown", md.toString(), "--csv", csv.toString(),
                "--plot", png.toString());
        assertEquals(0, outcome.code(), outcome.err());
        List<String> lines = outcome.out().lines().toList();
        assertTrue(lines.get(0).matches("run +final val loss +best val loss +val bpb +tokens/s +wall time +model\\.norm +train\\.lr"),
                "only model.norm and train.lr differ: " + lines.get(0));
        assertTrue(lines.get(1).startsWith("a ") && lines.get(1).contains("layernorm") && lines.get(1).endsWith("0.001"), lines.get(1));
        assertTrue(lines.get(3).startsWith("c ") && lines.get(3).contains("rmsnorm") && lines.get(3).endsWith("0.003"), lines.get(3));

        var done = new ObjectMapper().readTree(dir.resolve("runs/b/done.json").toFile());
        List<String> rows = Files.readAllLines(csv);
        assertEquals("run,final val loss,best val loss,val bpb,tokens/s,wall time,model.norm,train.lr", rows.get(0));
        assertEquals(4, rows.size());
        String[] b = rows.get(2).split(",");
        assertEquals("b", b[0]);
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", done.get("val_loss").asDouble()), b[1]);
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", done.get("best_val_loss").asDouble()), b[2]);
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", done.get("val_bpb").asDouble()), b[3]);
        assertEquals("rmsnorm", b[6]);

        List<String> markdown = Files.readAllLines(md);
        assertEquals("| run | final val loss | best val loss | val bpb | tokens/s | wall time | model.norm | train.lr |",
                markdown.get(0));
        assertEquals("| --- | --- | --- | --- | --- | --- | --- | --- |", markdown.get(1));
        assertTrue(markdown.get(4).startsWith("| c | "), markdown.get(4));

        if (dev.tlab.metrics.Plots.supported()) {
            var image = javax.imageio.ImageIO.read(png.toFile());
            assertEquals(1000, image.getWidth());
        }
    }

    @Test
    void aDirectoryThatIsNoRunIsOneLineAndExitCode2() {
        Outcome outcome = run("compare", dir.resolve("runs/a").toString(), dir.toString());
        assertEquals(2, outcome.code());
        assertEquals("error: " + dir + " is not a run directory (it needs config.resolved.yaml and metrics.jsonl)",
                outcome.err().strip());
    }
}
