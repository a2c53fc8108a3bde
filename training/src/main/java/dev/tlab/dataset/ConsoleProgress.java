package dev.tlab.dataset;

import dev.tlab.metrics.ProgressBar;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code prepare  412.0/1,024.0 MB [=========>          ] 40% | 38.2 MB/s | 103,412,220 tokens | ETA 16s}:
 * redrawn in place on a terminal, otherwise a line every few seconds so logs stay short.
 */
public final class ConsoleProgress implements PrepareListener {

    private static final int WIDTH = 24;
    private final PrintWriter out;
    private final boolean interactive;
    private final long everyNanos;
    private long lastDrawn = Long.MIN_VALUE;

    public ConsoleProgress(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
        this.everyNanos = interactive ? 200_000_000L : 5_000_000_000L;
    }

    @Override
    public void progress(PrepareProgress p) {
        long now = System.nanoTime();
        if (!p.finished() && lastDrawn != Long.MIN_VALUE && now - lastDrawn < everyNanos) {
            return;
        }
        lastDrawn = now;
        double fraction = Math.min(1, p.bytesDone() / (double) Math.max(1, p.bytesTotal()));
        int filled = (int) (WIDTH * fraction);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        String tokens = p.stage().equals(PrepareProgress.ENCODE) ? String.format(Locale.ROOT, " | %,d tokens", p.tokens()) : "";
        String line = String.format(Locale.ROOT, "%s %,.1f/%,.1f MB [%s] %3d%% | %.1f MB/s%s | ETA %s",
                p.stage(), p.bytesDone() / 1e6, p.bytesTotal() / 1e6, bar, (int) (100 * fraction), p.megabytesPerSecond(),
                tokens, ProgressBar.duration(p.etaSeconds()));
        if (interactive) {
            out.print("\r" + line + "\u001b[K");
            if (p.finished()) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void message(String text) {
        out.println((interactive ? "\r\u001b[K" : "") + text);
        out.flush();
    }
}
