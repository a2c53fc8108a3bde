package dev.tlab.metrics;

import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Loss curves of one run (loss against step), drawn with XChart to a PNG. */
public final class LossPlot {

    static final int WIDTH = 800;
    static final int HEIGHT = 500;
    /** Redraws during training at most this often; the final write always happens. */
    private static final long REFRESH_NANOS = 10_000_000_000L;

    /** Matplotlib's tab10 palette, for every tlab plot. */
    public static final java.awt.Color[] COLORS = {
        new java.awt.Color(31, 119, 180), new java.awt.Color(255, 127, 14), new java.awt.Color(44, 160, 44),
        new java.awt.Color(214, 39, 40), new java.awt.Color(148, 103, 189), new java.awt.Color(140, 86, 75),
        new java.awt.Color(227, 119, 194), new java.awt.Color(127, 127, 127), new java.awt.Color(188, 189, 34),
        new java.awt.Color(23, 190, 207)
    };

    private final String title;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();
    private long lastWrite = Long.MIN_VALUE;

    public LossPlot(String title) {
        this.title = title;
    }

    /** Adds a point to a named curve; non-finite values are skipped. */
    public void add(String curve, double step, double loss) {
        if (Double.isFinite(loss)) {
            series.computeIfAbsent(curve, k -> new ArrayList<>()).add(new double[] {step, loss});
        }
    }

    /** The train and val losses of one metrics.jsonl row; a row without one adds nothing to that curve. */
    public void addRow(com.fasterxml.jackson.databind.JsonNode row) {
        add("train", row.path("step").asLong(), row.path("train_loss").asDouble(Double.NaN));
        add("val", row.path("step").asLong(), row.path("val_loss").asDouble(Double.NaN));
    }

    /** Writes the plot unless it was written less than ten seconds ago (cheap enough for every eval). */
    public void refresh(Path file) {
        if (lastWrite == Long.MIN_VALUE || System.nanoTime() - lastWrite >= REFRESH_NANOS) {
            write(file);
        }
    }

    public void write(Path file) {
        XYChart chart = chart(title, "step", "loss (nats)");
        int index = 0;
        for (var entry : series.entrySet()) {
            List<double[]> points = entry.getValue();
            XYSeries s = chart.addSeries(entry.getKey(), column(points, 0), column(points, 1));
            s.setLineColor(COLORS[index % COLORS.length]);
            s.setMarkerColor(COLORS[index++ % COLORS.length]);
            s.setMarker(points.size() == 1 || entry.getKey().equals("val") ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        if (series.isEmpty()) {
            chart.addSeries("no data", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        save(chart, file);
        lastWrite = System.nanoTime();
    }

    /** A line chart in tlab's style: white, grid, legend inside the top right. */
    public static XYChart chart(String title, String xTitle, String yTitle) {
        return chart(title, xTitle, yTitle, WIDTH, HEIGHT);
    }

    public static XYChart chart(String title, String xTitle, String yTitle, int width, int height) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).theme(Styler.ChartTheme.Matlab).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setDecimalPattern("#,##0.###");
        return chart;
    }

    /** Writes a chart as PNG through a temporary file, so a reader never sees half an image. */
    public static void save(XYChart chart, Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + file, e);
        }
    }

    /**
     * The train and val curves of a metrics.jsonl file, for runs that could not draw their own
     * (a runtime without java.desktop) or to redraw one.
     */
    public static LossPlot fromMetrics(Path metricsFile, String title) {
        if (!Files.isRegularFile(metricsFile)) {
            throw new ConfigException("no metrics file at " + metricsFile);
        }
        LossPlot plot = new LossPlot(title);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        int lineNumber = 0;
        try {
            for (String line : Files.readAllLines(metricsFile)) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                plot.addRow(json.readTree(line));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException(metricsFile + " line " + lineNumber + " is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metricsFile, e);
        }
        if (plot.series.isEmpty()) {
            throw new ConfigException(metricsFile + " has no train_loss or val_loss values");
        }
        return plot;
    }

    static double[] column(List<double[]> points, int index) {
        return points.stream().mapToDouble(p -> p[index]).toArray();
    }
}
