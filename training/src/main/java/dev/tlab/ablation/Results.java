package dev.tlab.ablation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.eval.ContextEval.ContextLoss;
import dev.tlab.metrics.RunSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sweep's table, read from its run directories alone: per setting, mean and spread over
 * seeds of final and best val loss, tokens/s, wall time and the extrapolation losses. Writes
 * {@code results.csv}, {@code results.md} and {@code curves.png}.
 */
public final class Results {

    /** One finished run: its summary, its val curve and its extrapolation losses. */
    /** @param bpbCurve val bits per byte by step; empty where the run did not report it */
    record Finished(Sweep.Run run, RunSummary summary, TreeMap<Long, Double> valCurve, TreeMap<Long, Double> bpbCurve,
            List<ContextLoss> extrapolation) {}

    /** Mean and sample standard deviation (0 for one value) of the finite values given. */
    record Stat(double mean, double std, int n) {
        static Stat of(List<Double> values) {
            List<Double> finite = values.stream().filter(Double::isFinite).toList();
            int n = finite.size();
            if (n == 0) {
                return new Stat(Double.NaN, Double.NaN, 0);
            }
            double mean = finite.stream().mapToDouble(Double::doubleValue).sum() / n;
            double ss = finite.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
            return new Stat(mean, n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n);
        }
    }

    /** One row of the table. */
    record Row(String setting, Map<String, String> values, int seedsDone, int seedsPlanned, Stat finalVal,
            Stat bestVal, Stat tokensPerSecond, Stat wallSeconds, List<Stat> extrapolation, List<String> unavailable,
            Stat valBitsPerByte) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Sweep sweep;
    private final List<Finished> finished;
    private final List<String> missing;

    Results(Sweep sweep, List<Finished> finished, List<String> missing) {
        this.sweep = sweep;
        this.finished = finished;
        this.missing = missing;
    }

    /** Reads every complete run of the sweep; runs without {@code done.json} are listed as missing. */
    static Results read(Sweep sweep, Evaluator extrapolation) {
        List<Finished> finished = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Sweep.Run run : sweep.runs()) {
            var summary = RunSummary.read(run.dir());
            if (summary.isEmpty()) {
                missing.add(run.name());
                continue;
            }
            finished.add(new Finished(run, summary.get(), curve(run.dir(), "val_loss"), curve(run.dir(), "val_bpb"),
                    extrapolation.evaluate(run)));
        }
        return new Results(sweep, finished, missing);
    }

    /** Extrapolation losses of a finished run. */
    @FunctionalInterface
    interface Evaluator {
        List<ContextLoss> evaluate(Sweep.Run run);
    }

    /** The value of {@code key} (val_loss, val_bpb) at each step that logged it. */
    static TreeMap<Long, Double> curve(Path runDir, String key) {
        TreeMap<Long, Double> curve = new TreeMap<>();
        Path file = runDir.resolve("metrics.jsonl");
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row = JSON.readTree(line);
                if (row.has(key)) {
                    curve.put(row.get("step").asLong(), row.get(key).asDouble());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return curve;
    }

    List<String> missing() {
        return missing;
    }

    List<Finished> finished() {
        return finished;
    }

    /** Rows in grid order, one per setting. */
    List<Row> rows() {
        int seedsPlanned = sweep.runs().size() / sweep.settings().size();
        List<Integer> multiples = sweep.spec().contexts();
        List<Row> rows = new ArrayList<>();
        for (String setting : sweep.settings()) {
            List<Finished> seeds = finished.stream().filter(f -> f.run().setting().equals(setting)).toList();
            Map<String, String> values = sweep.runs().stream().filter(r -> r.setting().equals(setting))
                    .findFirst().orElseThrow().values();
            List<Stat> extrapolation = new ArrayList<>();
            List<String> unavailable = new ArrayList<>();
            for (int i = 0; i < multiples.size(); i++) {
                int index = i;
                extrapolation.add(Stat.of(seeds.stream().map(f -> f.extrapolation().get(index).valLoss()).toList()));
                unavailable.add(seeds.stream().map(f -> f.extrapolation().get(index).unavailable())
                        .filter(r -> r != null).findFirst().orElse(null));
            }
            rows.add(new Row(setting, values, seeds.size(), seedsPlanned,
                    Stat.of(seeds.stream().map(f -> f.summary().valLoss()).toList()),
                    Stat.of(seeds.stream().map(f -> f.summary().bestValLoss()).toList()),
                    Stat.of(seeds.stream().map(f -> f.summary().tokensPerSecond()).toList()),
                    Stat.of(seeds.stream().map(f -> f.summary().wallSeconds()).toList()),
                    extrapolation, unavailable,
                    Stat.of(seeds.stream().map(f -> f.summary().valBitsPerByte() == null ? Double.NaN
                            : f.summary().valBitsPerByte()).toList())));
        }
        return rows;
    }

    /** Writes results.csv, results.md and curves.png into the sweep directory. */
    void write(String command) {
        List<Row> rows = rows();
        try {
            Files.createDirectories(sweep.dir());
            Files.writeString(sweep.dir().resolve("results.csv"), csv(rows));
            Files.writeString(sweep.dir().resolve("results.md"), markdown(rows, command));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write results to " + sweep.dir(), e);
        }
        if (dev.tlab.metrics.Plots.supported()) {
            CurvesPlot.write(sweep, finished, sweep.dir().resolve("curves.png"));
        }
    }

    String csv(List<Row> rows) {
        List<String> header = new ArrayList<>(List.of("setting"));
        sweep.spec().grid().keySet().forEach(header::add);
        header.add("seeds");
        for (String stat : List.of("final_val_loss", "best_val_loss", "tokens_per_s", "wall_s", "final_val_bpb")) {
            header.add(stat + "_mean");
            header.add(stat + "_std");
        }
        for (int multiple : sweep.spec().contexts()) {
            header.add("val_loss_ctx" + multiple + "x_mean");
            header.add("val_loss_ctx" + multiple + "x_std");
        }
        StringBuilder out = new StringBuilder(String.join(",", header)).append('\n');
        for (Row row : rows) {
            List<String> cells = new ArrayList<>(List.of(row.setting()));
            sweep.spec().grid().keySet().forEach(k -> cells.add(csvCell(row.values().get(k))));
            cells.add(String.valueOf(row.seedsDone()));
            for (Stat s : List.of(row.finalVal(), row.bestVal(), row.tokensPerSecond(), row.wallSeconds(),
                    row.valBitsPerByte())) {
                cells.add(number(s.mean(), 6));
                cells.add(number(s.std(), 6));
            }
            for (Stat s : row.extrapolation()) {
                cells.add(number(s.mean(), 6));
                cells.add(number(s.std(), 6));
            }
            out.append(String.join(",", cells)).append('\n');
        }
        return out.toString();
    }

    String markdown(List<Row> rows, String command) {
        AblationSpec spec = sweep.spec();
        StringBuilder md = new StringBuilder();
        md.append("# Ablation: ").append(spec.name()).append("\n\n");
        md.append("- **Command**: `").append(command).append("`\n");
        md.append("- **Date**: ").append(LocalDate.now()).append("\n");
        md.append("- **Base config**: `").append(display(spec.base())).append("`\n");
        md.append("- **Grid**: ");
        List<String> axes = new ArrayList<>();
        spec.grid().forEach((k, v) -> axes.add("`" + k + "` in " + v.stream().map(Sweep::flow).toList()));
        md.append(String.join(" x ", axes)).append("; seeds ")
                .append(sweep.runs().stream().map(Sweep.Run::seed).distinct().toList()).append("\n");
        if (!sweep.fixed().isEmpty()) {
            List<String> fixed = sweep.fixed().stream().map(o -> "`" + o + "`").toList();
            md.append("- **Fixed**: ").append(String.join(", ", fixed)).append("\n");
        }
        md.append("- **Runs**: ").append(finished.size()).append(" of ").append(sweep.runs().size()).append(" complete");
        if (!missing.isEmpty()) {
            md.append("; missing: ").append(String.join(", ", missing));
        }
        md.append("\n\n");

        List<String> header = new ArrayList<>(List.of("setting"));
        spec.grid().keySet().forEach(k -> header.add(k.substring(k.lastIndexOf('.') + 1)));
        header.addAll(List.of("seeds", "final val loss", "best val loss", "final val bpb"));
        Map<Integer, String> contextNames = new LinkedHashMap<>();
        for (int multiple : spec.contexts()) {
            contextNames.put(multiple, "val loss @" + multiple + "x context");
        }
        header.addAll(contextNames.values());
        header.addAll(List.of("tokens/s", "wall time (s)"));
        md.append("| ").append(String.join(" | ", header)).append(" |\n");
        md.append("|").append(" --- |".repeat(header.size())).append("\n");
        for (Row row : rows) {
            List<String> cells = new ArrayList<>(List.of(row.setting()));
            spec.grid().keySet().forEach(k -> cells.add(row.values().get(k)));
            cells.add(row.seedsDone() + "/" + row.seedsPlanned());
            cells.add(pm(row.finalVal(), 4));
            cells.add(pm(row.bestVal(), 4));
            cells.add(pm(row.valBitsPerByte(), 4));
            for (int i = 0; i < row.extrapolation().size(); i++) {
                Stat s = row.extrapolation().get(i);
                String reason = row.unavailable().get(i);
                cells.add(s.n() == 0 && reason != null ? "n/a: " + shortReason(reason) : pm(s, 4));
            }
            cells.add(pm(row.tokensPerSecond(), 0));
            cells.add(pm(row.wallSeconds(), 0));
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        md.append("\nMean ± sample standard deviation over seeds. Final val loss is the last evaluation; best val loss")
                .append(" the lowest of any evaluation; final val bpb is bits per byte of the validation text at the last")
                .append(" evaluation, comparable across tokenizers. Val loss @Nx context: the final model on validation windows")
                .append(" of N x `model.context` tokens (mean over all positions), as `tlab eval RUN --contexts`.")
                .append(" Tokens/s counts training steps only; wall time covers training, evaluation and checkpoints.")
                .append(" Curves: `curves.png`.\n");
        return md.toString();
    }

    private static String shortReason(String reason) {
        return reason.startsWith("learned positions") ? "past the learned table" : reason;
    }

    private static String pm(Stat s, int decimals) {
        if (s.n() == 0) {
            return "-";
        }
        String format = decimals == 0 ? "%,.0f" : "%." + decimals + "f";
        String mean = String.format(Locale.ROOT, format, s.mean());
        return s.n() == 1 ? mean : mean + " ± " + String.format(Locale.ROOT, format, s.std());
    }

    private static String number(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "";
    }

    private static String csvCell(String text) {
        return text.contains(",") || text.contains("\"") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }

    static String display(Path path) {
        Path cwd = Path.of("").toAbsolutePath();
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(cwd) ? cwd.relativize(absolute).toString() : absolute.toString();
    }
}
