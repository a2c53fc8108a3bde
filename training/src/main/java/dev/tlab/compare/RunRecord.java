package dev.tlab.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.errors.ConfigException;
import dev.tlab.metrics.MetricsLog;
import dev.tlab.metrics.RunSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a run directory says about its run: {@code done.json} (when it finished), the val-loss curve
 * of {@code metrics.jsonl} and the flattened {@code config.resolved.yaml}. A run that has not
 * finished is read from its metrics alone.
 *
 * @param config dotted key to value as YAML writes it, e.g. {@code model.positional -> rope}
 * @param valCurve step to val loss
 */
public record RunRecord(Path dir, Optional<RunSummary> summary, Map<String, String> config,
        TreeMap<Long, Double> valCurve, double valBitsPerByte, double tokensPerSecond, double wallSeconds) {

    private static final YAMLMapper YAML = new YAMLMapper();

    public static RunRecord read(Path dir) {
        Path configFile = dir.resolve("config.resolved.yaml");
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(metrics)) {
            throw new ConfigException(dir + " is not a run directory (it needs config.resolved.yaml and metrics.jsonl)");
        }
        Map<String, String> config = new LinkedHashMap<>();
        try {
            flatten(YAML.readTree(configFile.toFile()), "", config);
        } catch (IOException e) {
            throw new ConfigException(configFile + ": cannot read (" + e.getMessage() + ")", e);
        }
        List<JsonNode> rows = MetricsLog.rows(metrics, Long.MAX_VALUE);
        TreeMap<Long, Double> curve = new TreeMap<>();
        double bpb = Double.NaN;
        double rateSum = 0;
        int rates = 0;
        double elapsed = Double.NaN;
        for (JsonNode row : rows) {
            if (row.has("val_loss")) {
                curve.put(row.path("step").asLong(), row.get("val_loss").asDouble());
            }
            if (row.has("val_bpb")) {
                bpb = row.get("val_bpb").asDouble();
            }
            if (row.has("tokens_per_s")) {
                rateSum += row.get("tokens_per_s").asDouble();
                rates++;
            }
            elapsed = row.path("elapsed_s").asDouble(elapsed);
        }
        Optional<RunSummary> summary = RunSummary.read(dir);
        double rate = summary.map(RunSummary::tokensPerSecond).orElse(rates == 0 ? Double.NaN : rateSum / rates);
        double wall = summary.map(RunSummary::wallSeconds).orElse(elapsed);
        double bitsPerByte = summary.map(s -> s.valBitsPerByte() == null ? Double.NaN : s.valBitsPerByte()).orElse(bpb);
        return new RunRecord(dir, summary, config, curve, bitsPerByte, rate, wall);
    }

    /** The run's name: its directory's. */
    public String name() {
        return dir.getFileName().toString();
    }

    public boolean finished() {
        return summary.isPresent();
    }

    /** The val loss at the last step (done.json's), else the last one logged. */
    public double finalValLoss() {
        return summary.map(RunSummary::valLoss).orElse(valCurve.isEmpty() ? Double.NaN : valCurve.lastEntry().getValue());
    }

    /** The lowest val loss of the run (done.json's, which counts a resumed run's history), else of its metrics. */
    public double bestValLoss() {
        return summary.map(RunSummary::bestValLoss)
                .orElse(valCurve.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN));
    }

    private static void flatten(JsonNode node, String prefix, Map<String, String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> flatten(f.getValue(), prefix + f.getKey() + ".", out));
        } else {
            out.put(prefix.substring(0, prefix.length() - 1), node.isTextual() ? node.asText() : node.toString());
        }
    }
}
