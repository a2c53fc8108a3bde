package dev.tlab.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** One JSON object per line, flushed each write so a crashed run keeps its curve. */
public final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    public MetricsLog(Path file) {
        this(file, List.of());
    }

    private MetricsLog(Path file, List<String> keptLines) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            for (String line : keptLines) {
                out.write(line);
                out.newLine();
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create metrics file " + file, e);
        }
    }

    /**
     * The log of a run resumed after {@code step} steps: earlier rows are kept (and handed to
     * {@code kept}, e.g. for the loss plot), rows logged after that checkpoint are dropped, since
     * the resumed run logs those steps again.
     */
    public static MetricsLog continuing(Path file, long step, Consumer<JsonNode> kept) {
        List<String> lines = new ArrayList<>();
        if (step > 0 && Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file)) {
                    JsonNode row;
                    try {
                        row = JSON.readTree(line);
                    } catch (IOException e) {
                        continue; // a line cut short by a crash
                    }
                    if (row != null && row.path("step").asLong(Long.MAX_VALUE) <= step) {
                        lines.add(line);
                        kept.accept(row);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read metrics file " + file, e);
            }
        }
        return new MetricsLog(file, lines);
    }

    /** A row of step metrics; NaN values (e.g. no eval this step) are left out. */
    public void write(long step, double lr, double trainLoss, double valLoss, double tokensPerSecond, double elapsedSeconds) {
        write(step, lr, trainLoss, valLoss, tokensPerSecond, elapsedSeconds, java.util.Map.of());
    }

    /** As above, plus task figures such as {@code exact_match}. */
    public void write(long step, double lr, double trainLoss, double valLoss, double tokensPerSecond, double elapsedSeconds,
            java.util.Map<String, Double> extra) {
        ObjectNode row = JSON.createObjectNode();
        row.put("step", step);
        row.put("lr", lr);
        putIfFinite(row, "train_loss", trainLoss);
        putIfFinite(row, "val_loss", valLoss);
        putIfFinite(row, "tokens_per_s", tokensPerSecond);
        row.put("elapsed_s", Math.round(elapsedSeconds * 1000) / 1000.0);
        extra.forEach((key, value) -> putIfFinite(row, key, value));
        try {
            out.write(JSON.writeValueAsString(row));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putIfFinite(ObjectNode row, String key, double value) {
        if (Double.isFinite(value)) {
            row.put(key, value);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
