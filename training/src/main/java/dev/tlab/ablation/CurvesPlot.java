package dev.tlab.ablation;

import dev.tlab.metrics.LossPlot;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code curves.png}: val loss against step, one line per setting (mean over seeds), the seeds'
 * range shaded. When the settings use different tokenizers, nats per token cannot be compared: the
 * plot shows bits per byte instead; and when their step counts differ (the same training bytes in
 * fewer, larger BPE steps), against the share of each run's steps.
 */
final class CurvesPlot {

    private CurvesPlot() {}

    static void write(Sweep sweep, List<Results.Finished> finished, Path file) {
        boolean bitsPerByte = !finished.isEmpty() && finished.stream().allMatch(f -> !f.bpbCurve().isEmpty())
                && finished.stream().map(f -> f.run().config().data().tokenizer() + f.run().config().data().vocabSize())
                        .distinct().count() > 1;
        boolean share = finished.stream().map(f -> f.run().config().train().steps()).distinct().count() > 1;
        String quantity = bitsPerByte ? "val bits per byte" : "val loss";
        XYChart chart = LossPlot.chart(sweep.spec().name() + ": " + quantity + " (line: mean over seeds, band: min to max)",
                share ? "share of the run's steps (%)" : "step", bitsPerByte ? quantity : "val loss (nats)", 1000, 600);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setPlotContentSize(0.95);
        chart.getStyler().setYAxisDecimalPattern("0.00");
        // Bands first, lines after, so no band tints another setting's line.
        List<Runnable> lines = new ArrayList<>();
        int index = 0;
        for (String setting : sweep.settings()) {
            List<TreeMap<Long, Double>> curves = finished.stream()
                    .filter(f -> f.run().setting().equals(setting))
                    .map(f -> bitsPerByte ? f.bpbCurve() : f.valCurve()).toList();
            double xScale = share ? 100.0 / finished.stream().filter(f -> f.run().setting().equals(setting))
                    .findFirst().map(f -> f.run().config().train().steps()).orElse(1) : 1;
            Color color = LossPlot.COLORS[index % LossPlot.COLORS.length];
            BasicStroke stroke = index < LossPlot.COLORS.length
                    ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f);
            index++;
            if (curves.isEmpty()) {
                continue;
            }
            TreeSet<Long> steps = new TreeSet<>(curves.get(0).keySet());
            curves.forEach(c -> steps.retainAll(c.keySet()));
            if (steps.isEmpty()) {
                continue;
            }
            int n = steps.size();
            double[] x = new double[n];
            double[] mean = new double[n];
            double[] low = new double[n];
            double[] high = new double[n];
            int i = 0;
            for (long step : steps) {
                double sum = 0;
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (TreeMap<Long, Double> curve : curves) {
                    double v = curve.get(step);
                    sum += v;
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                x[i] = step * xScale;
                mean[i] = sum / curves.size();
                low[i] = lo;
                high[i] = hi;
                i++;
            }
            if (curves.size() > 1) {
                XYSeries band = chart.addSeries(setting + " (seeds)", polygon(x, x), polygon(high, low));
                band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
                band.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), 40));
                band.setLineColor(new Color(0, 0, 0, 0));
                band.setMarker(SeriesMarkers.NONE);
                band.setShowInLegend(false);
            }
            String label = setting + " (" + curves.size() + (curves.size() == 1 ? " seed)" : " seeds)");
            lines.add(() -> {
                XYSeries line = chart.addSeries(label, x, mean);
                line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                line.setLineColor(color);
                line.setLineStyle(stroke);
                line.setMarker(SeriesMarkers.NONE);
            });
        }
        lines.forEach(Runnable::run);
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("no complete runs yet", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        LossPlot.save(chart, file);
    }

    /** The upper edge left to right, then the lower edge right to left. */
    private static double[] polygon(double[] upper, double[] lower) {
        int n = upper.length;
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            out[i] = upper[i];
            out[2 * n - 1 - i] = lower[i];
        }
        return out;
    }
}
