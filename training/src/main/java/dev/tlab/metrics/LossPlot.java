package dev.tlab.metrics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Loss curves (loss against step) drawn to a PNG with plain AWT, headless. */
public final class LossPlot {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;
    private static final int MARGIN = 60;
    private static final Color[] COLORS = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75)
    };

    private final String title;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();

    public LossPlot(String title) {
        this.title = title;
    }

    /** Adds a point to a named curve; non-finite values are skipped. */
    public void add(String curve, double step, double loss) {
        if (Double.isFinite(loss)) {
            series.computeIfAbsent(curve, k -> new ArrayList<>()).add(new double[] {step, loss});
        }
    }

    public void write(Path file) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double[] bounds = bounds();
        double minX = bounds[0], maxX = bounds[1], minY = bounds[2], maxY = bounds[3];
        int plotW = WIDTH - 2 * MARGIN;
        int plotH = HEIGHT - 2 * MARGIN;

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            int y = MARGIN + plotH - plotH * i / 5;
            int x = MARGIN + plotW * i / 5;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(MARGIN, y, MARGIN + plotW, y);
            g.drawLine(x, MARGIN, x, MARGIN + plotH);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.2f", minY + (maxY - minY) * i / 5), 8, y + 4);
            g.drawString(String.format(Locale.ROOT, "%.0f", minX + (maxX - minX) * i / 5), x - 12, MARGIN + plotH + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(MARGIN, MARGIN, plotW, plotH);
        g.drawString("step", MARGIN + plotW / 2 - 12, HEIGHT - 15);
        g.drawString("loss (nats)", 8, MARGIN - 10);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, MARGIN, 25);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int index = 0;
        for (var entry : series.entrySet()) {
            Color color = COLORS[index % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            int[] previous = null;
            for (double[] point : entry.getValue()) {
                int x = MARGIN + (int) Math.round((point[0] - minX) / (maxX - minX) * plotW);
                int y = MARGIN + plotH - (int) Math.round((point[1] - minY) / (maxY - minY) * plotH);
                if (previous != null) {
                    g.drawLine(previous[0], previous[1], x, y);
                } else if (entry.getValue().size() == 1) {
                    g.fillOval(x - 3, y - 3, 6, 6);
                }
                previous = new int[] {x, y};
            }
            int legendY = MARGIN + 20 + 18 * index;
            g.drawLine(WIDTH - MARGIN - 170, legendY - 4, WIDTH - MARGIN - 150, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(entry.getKey(), WIDTH - MARGIN - 145, legendY);
            index++;
        }
        g.dispose();
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + file, e);
        }
    }

    private double[] bounds() {
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (List<double[]> points : series.values()) {
            for (double[] p : points) {
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
                minY = Math.min(minY, p[1]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        if (minX > maxX) {
            return new double[] {0, 1, 0, 1};
        }
        double padY = Math.max(1e-3, (maxY - minY) * 0.05);
        return new double[] {minX, Math.max(maxX, minX + 1), minY - padY, maxY + padY};
    }
}
