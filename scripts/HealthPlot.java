import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.metrics.LossPlot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * One training-health signal of several runs against step, from their metrics.jsonl: e.g. the
 * gradient norm before clipping through a warmup.
 *
 * From the repository root, once {@code ./tlab --version} has built the jar:
 * <pre>
 *   java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/HealthPlot.java OUT.png KEY MAX_STEP RUN...
 * </pre>
 * KEY is a metrics.jsonl field such as grad_norm or update_ratio_decay; MAX_STEP cuts the x axis.
 */
public class HealthPlot {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        String key = args[1];
        long maxStep = Long.parseLong(args[2]);
        ObjectMapper json = new ObjectMapper();
        XYChart chart = LossPlot.chart(key + " by step", "step", key, 1000, 500);
        for (int i = 3; i < args.length; i++) {
            Path run = Path.of(args[i]);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
                JsonNode row = json.readTree(line);
                if (row.has(key) && row.get(key).isNumber() && row.get("step").asLong() <= maxStep) {
                    x.add(row.get("step").asDouble());
                    y.add(row.get(key).asDouble());
                }
            }
            XYSeries series = chart.addSeries(run.getFileName().toString(), x, y);
            series.setMarker(SeriesMarkers.NONE);
            series.setLineColor(LossPlot.COLORS[(i - 3) % LossPlot.COLORS.length]);
        }
        LossPlot.save(chart, out);
        System.out.println("wrote " + out);
    }
}
