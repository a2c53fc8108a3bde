package dev.tlab.metrics;

import dev.tlab.files.DiskSpace;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** One JSON object per line, flushed each write so a crashed run keeps its curve. */
public final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;

    public MetricsLog(Path file) {
        this(file, List.of());
    }

    private MetricsLog(Path file, List<String> keptLines) {
        this.file = file;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (keptLines.isEmpty()) {
                out = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            } else {
                // Beside it, then renamed over it: a full disk leaves the old rows as they were.
                Files.write(tmp, keptLines);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out = Files.newBufferedWriter(file, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next start writes it afresh
            }
            throw DiskSpace.isFull(e) ? DiskSpace.full(file, -1, file.getFileName() + " is as it was", e)
                    : new UncheckedIOException("cannot create metrics file " + file, e);
        }
    }

    /**
     * The log of a run resumed after {@code step} steps: earlier rows are kept, rows logged after
     * that checkpoint are dropped, since the resumed run logs those steps again.
     */
    public static MetricsLog continuing(Path file, long step) {
        return new MetricsLog(file, step > 0 ? linesUpTo(file, step) : List.of());
    }

    /** The rows of {@code file} up to {@code step}, e.g. for the plot of a resumed run. */
    public static List<JsonNode> rows(Path file, long step) {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : linesUpTo(file, step)) {
            rows.add(parse(line));
        }
        return rows;
    }

    private static List<String> linesUpTo(Path file, long step) {
        List<String> lines = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return lines;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                JsonNode row = parse(line); // null for a line cut short by a crash
                if (row != null && row.path("step").asLong(Long.MAX_VALUE) <= step) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read metrics file " + file, e);
        }
        return lines;
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    /** A row of step metrics; NaN values (e.g. no eval this step) are left out. */
    public void write(long step, double lr, double trainLoss, double valLoss, double tokensPerSecond, double elapsedSeconds) {
        write(step, lr, trainLoss, valLoss, tokensPerSecond, elapsedSeconds, java.util.Map.of());
    }

    /** As above, plus task figures such as {@code exact_match}. */
    public void write(long step, double lr, double trainLoss, double valLoss, double tokensPerSecond, double elapsedSeconds,
            java.util.Map<String, Double> extra) {
        write(step, lr, trainLoss, valLoss, tokensPerSecond, elapsedSeconds, extra, java.util.Map.of());
    }

    /**
     * As above, plus training-health figures after them: numbers (non-finite ones left out) and
     * booleans, e.g. {@code grad_norm} and {@code clipped}.
     */
    public void write(long step, double lr, double trainLoss, double valLoss, double tokensPerSecond, double elapsedSeconds,
            java.util.Map<String, Double> extra, java.util.Map<String, Object> health) {
        ObjectNode row = JSON.createObjectNode();
        row.put("step", step);
        row.put("lr", lr);
        putIfFinite(row, "train_loss", trainLoss);
        putIfFinite(row, "val_loss", valLoss);
        putIfFinite(row, "tokens_per_s", tokensPerSecond);
        row.put("elapsed_s", Math.round(elapsedSeconds * 1000) / 1000.0);
        extra.forEach((key, value) -> putIfFinite(row, key, value));
        health.forEach((key, value) -> {
            if (value instanceof Boolean flag) {
                row.put(key, flag);
            } else if (value instanceof Integer count) {
                row.put(key, count);
            } else {
                putIfFinite(row, key, ((Number) value).doubleValue());
            }
        });
        try {
            out.write(JSON.writeValueAsString(row));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw DiskSpace.isFull(e) ? DiskSpace.full(file, -1, "", e) : new UncheckedIOException("cannot write " + file, e);
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
