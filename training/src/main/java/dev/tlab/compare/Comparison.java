package dev.tlab.compare;

import dev.tlab.metrics.ProgressBar;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code tlab compare}: one table of runs, their final and best val loss, bits per byte, tokens/s
 * and wall time, then only the config keys whose values differ between them ({@code name} aside:
 * it is the first column). As aligned text, Markdown or CSV.
 */
public final class Comparison {

    static final List<String> FIGURES = List.of("final val loss", "best val loss", "val bpb", "tokens/s", "wall time");

    private final List<RunRecord> runs;
    private final List<String> differing;

    public Comparison(List<RunRecord> runs) {
        this.runs = List.copyOf(runs);
        Set<String> keys = new LinkedHashSet<>();
        runs.forEach(r -> keys.addAll(r.config().keySet()));
        List<String> differing = new ArrayList<>();
        for (String key : keys) {
            if (!key.equals("name") && runs.stream().map(r -> r.config().getOrDefault(key, "")).distinct().count() > 1) {
                differing.add(key);
            }
        }
        this.differing = List.copyOf(differing);
    }

    public List<RunRecord> runs() {
        return runs;
    }

    /** The config keys whose values are not the same in every run, in config order. */
    public List<String> differingKeys() {
        return differing;
    }

    /** Header and one row per run, as text cells. */
    public List<List<String>> rows() {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("run"));
        header.addAll(FIGURES);
        header.addAll(differing);
        rows.add(header);
        for (RunRecord run : runs) {
            List<String> row = new ArrayList<>();
            row.add(run.name() + (run.finished() ? "" : " (unfinished)"));
            row.add(number(run.finalValLoss(), "%.4f"));
            row.add(number(run.bestValLoss(), "%.4f"));
            row.add(number(run.valBitsPerByte(), "%.4f"));
            row.add(number(run.tokensPerSecond(), "%.0f"));
            row.add(Double.isFinite(run.wallSeconds()) ? ProgressBar.duration(run.wallSeconds()) : "");
            differing.forEach(key -> row.add(run.config().getOrDefault(key, "")));
            rows.add(row);
        }
        return rows;
    }

    /** Columns padded to their widest cell, for the terminal. */
    public String text() {
        List<List<String>> rows = rows();
        int[] widths = new int[rows.get(0).size()];
        rows.forEach(r -> {
            for (int i = 0; i < r.size(); i++) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        });
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", row.get(i)));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    public String markdown() {
        List<List<String>> rows = rows();
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            out.append("| ").append(String.join(" | ", rows.get(r).stream().map(c -> c.replace("|", "\\|")).toList()))
                    .append(" |\n");
            if (r == 0) {
                out.append("|").append(" --- |".repeat(rows.get(0).size())).append('\n');
            }
        }
        return out.toString();
    }

    /** RFC 4180: fields with a comma, quote or line break are quoted. */
    public String csv() {
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows()) {
            out.append(String.join(",", row.stream().map(Comparison::csvField).toList())).append('\n');
        }
        return out.toString();
    }

    private static String csvField(String cell) {
        return cell.matches(".*[,\"\\r\\n].*") ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell;
    }

    private static String number(double value, String format) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, format, value) : "";
    }

    /** The runs' val-loss curves, for the overlay plot. */
    public Map<String, java.util.TreeMap<Long, Double>> curves() {
        Map<String, java.util.TreeMap<Long, Double>> curves = new java.util.LinkedHashMap<>();
        runs.forEach(r -> curves.put(r.name(), r.valCurve()));
        return curves;
    }
}
