package dev.tlab.metrics;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * {@code done.json}: the last file a run writes, so its presence means the run is complete. A run
 * deletes it when it starts; an interrupted run therefore never looks complete.
 *
 * @param steps optimizer steps trained
 * @param trainLoss train loss at the last logged step
 * @param valLoss val loss at the last step
 * @param bestValLoss lowest val loss of any evaluation
 * @param tokensPerSecond training tokens per second of training steps (evaluation excluded)
 * @param wallSeconds wall time from the first step to the final checkpoint
 * @param valBitsPerByte bits per byte of the validation text at the last step (null where not known:
 *     synthetic tasks, and runs written before it was reported)
 */
public record RunSummary(
        long steps,
        @JsonProperty("train_loss") double trainLoss,
        @JsonProperty("val_loss") double valLoss,
        @JsonProperty("best_val_loss") double bestValLoss,
        @JsonProperty("tokens_per_s") double tokensPerSecond,
        @JsonProperty("wall_s") double wallSeconds,
        @JsonProperty("val_bpb") @JsonInclude(JsonInclude.Include.NON_NULL) Double valBitsPerByte) {

    public static final String FILE = "done.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes the marker atomically. */
    public void write(Path runDir) {
        Path tmp = runDir.resolve(FILE + ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, runDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve(FILE), e);
        }
    }

    /** The run's summary if it finished, else empty. */
    public static Optional<RunSummary> read(Path runDir) {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), RunSummary.class));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read run summary (" + e.getMessage() + ")", e);
        }
    }

    /** Marks a run as not complete (it is starting over). */
    public static void clear(Path runDir) {
        try {
            Files.deleteIfExists(runDir.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
