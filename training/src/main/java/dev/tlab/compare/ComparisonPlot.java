package dev.tlab.compare;

import dev.tlab.metrics.LossPlot;
import java.awt.BasicStroke;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The compared runs' val-loss curves, one line each, in the style of the ablation's curves.png. */
public final class ComparisonPlot {

    private ComparisonPlot() {}

    public static void write(Comparison comparison, Path file) {
        XYChart chart = LossPlot.chart("val loss", "step", "val loss (nats)", 1000, 600);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisDecimalPattern("0.00");
        int index = 0;
        for (Map.Entry<String, TreeMap<Long, Double>> run : comparison.curves().entrySet()) {
            TreeMap<Long, Double> curve = run.getValue();
            int at = index++;
            if (curve.isEmpty()) {
                continue;
            }
            double[] x = curve.keySet().stream().mapToDouble(Long::doubleValue).toArray();
            double[] y = curve.values().stream().mapToDouble(Double::doubleValue).toArray();
            XYSeries line = chart.addSeries(run.getKey(), x, y);
            line.setLineColor(LossPlot.COLORS[at % LossPlot.COLORS.length]);
            line.setMarkerColor(LossPlot.COLORS[at % LossPlot.COLORS.length]);
            // Past ten runs the colours repeat; dashes tell those apart.
            line.setLineStyle(at < LossPlot.COLORS.length ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f));
            line.setMarker(x.length == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("no val loss logged yet", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        LossPlot.save(chart, file);
    }
}
