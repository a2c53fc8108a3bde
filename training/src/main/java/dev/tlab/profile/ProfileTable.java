package dev.tlab.profile;

import java.util.List;
import java.util.Locale;

/**
 * Where a training step's time goes, per {@link Part}: milliseconds per step in the forward and
 * backward pass (NaN where a part has none) and in total.
 *
 * @param steps how many steps were timed
 * @param firstStep the first timed step, counting from 1 at the first step of the run (or resume)
 * @param backwardNote how the backward pass was split, or why it was not
 * @param unsplitBackwardMs the backward pass when it could not be split by part, else 0
 * @param stepWallMs the mean step time measured around each whole step
 */
public record ProfileTable(
        List<Row> rows, int steps, long firstStep, String device, String backwardNote, double unsplitBackwardMs,
        double stepWallMs) {

    /** One part; forward and backward are NaN for parts outside the passes (clip, optimizer, bookkeeping). */
    public record Row(Part part, double forwardMs, double backwardMs, double totalMs) {}

    public Row row(Part part) {
        return rows.stream().filter(r -> r.part() == part).findFirst().orElseThrow();
    }

    /** The sum of every row (and the unsplit backward, if any): the step as the table accounts for it. */
    public double totalMs() {
        return rows.stream().mapToDouble(Row::totalMs).sum() + unsplitBackwardMs;
    }

    public String format() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT,
                "where a training step's time goes: mean of %d steps (after %d warm-up steps) on %s%n",
                steps, firstStep - 1, device));
        out.append(backwardNote).append('\n');
        out.append(String.format(Locale.ROOT, "%-12s %11s %12s %10s %7s  %s%n", "part", "forward ms", "backward ms",
                "total ms", "%", "what"));
        double total = totalMs();
        double forward = 0;
        double backward = unsplitBackwardMs;
        for (Row row : rows) {
            forward += orZero(row.forwardMs());
            backward += orZero(row.backwardMs());
            out.append(line(row.part().toString(), row.forwardMs(), row.backwardMs(), row.totalMs(), total,
                    row.part().description()));
        }
        if (unsplitBackwardMs > 0) {
            out.append(line("backward", Double.NaN, unsplitBackwardMs, unsplitBackwardMs, total, "not split by part"));
        }
        out.append(line("step", forward, backward, total, total, ""));
        out.append(String.format(Locale.ROOT, "(measured around each whole step: %.2f ms)%n", stepWallMs));
        return out.toString();
    }

    private static String line(String name, double forward, double backward, double rowTotal, double total, String what) {
        return String.format(Locale.ROOT, "%-12s %11s %12s %10.2f %6.1f%%  %s%n", name, cell(forward), cell(backward),
                rowTotal, 100 * rowTotal / total, what).replaceAll("\\s+$", "") + "\n";
    }

    private static String cell(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.2f", ms);
    }

    private static double orZero(double ms) {
        return Double.isNaN(ms) ? 0 : ms;
    }
}
