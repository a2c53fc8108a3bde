package dev.tlab.metrics;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code step 250/2000 [====>     ] 12% | loss 2.1034 | val 2.1500 | 4,210 tok/s | ETA 3m12s}.
 * Redrawn in place on a terminal; one line per update otherwise, so logs stay readable.
 */
public final class ProgressBar {

    private static final int WIDTH = 24;
    private final PrintWriter out;
    private final long total;
    private final boolean interactive;

    public ProgressBar(PrintWriter out, long total, boolean interactive) {
        this.out = out;
        this.total = total;
        this.interactive = interactive;
    }

    public void update(long done, double loss, double valLoss, double lr, double tokensPerSecond, double etaSeconds) {
        update(done, loss, valLoss, Double.NaN, lr, tokensPerSecond, etaSeconds);
    }

    /** @param valBitsPerByte the validation text's bits per byte, shown after the val loss (NaN: not shown) */
    public void update(long done, double loss, double valLoss, double valBitsPerByte, double lr, double tokensPerSecond,
            double etaSeconds) {
        update(done, loss, valLoss, valBitsPerByte, lr, tokensPerSecond, "", etaSeconds);
    }

    /** @param health shown before the ETA, e.g. {@code " | gnorm 0.84 clip"}; empty for nothing */
    public void update(long done, double loss, double valLoss, double valBitsPerByte, double lr, double tokensPerSecond,
            String health, double etaSeconds) {
        int filled = (int) (WIDTH * done / Math.max(1, total));
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        String line =
                String.format(
                        Locale.ROOT,
                        "step %" + String.valueOf(total).length() + "d/%d [%s] %3d%% | loss %.4f%s | lr %.2e | %,.0f tok/s%s | ETA %s",
                        done,
                        total,
                        bar,
                        100 * done / Math.max(1, total),
                        loss,
                        (Double.isNaN(valLoss) ? "" : String.format(Locale.ROOT, " | val %.4f", valLoss))
                                + (Double.isNaN(valBitsPerByte) ? "" : String.format(Locale.ROOT, " (%.3f bpb)", valBitsPerByte)),
                        lr,
                        tokensPerSecond,
                        health,
                        duration(etaSeconds));
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            if (done == total) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Prints a message on its own line without breaking the bar. */
    public void message(String text) {
        out.println((interactive ? "\r\u001b[K" : "") + text);
        out.flush();
    }

    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
