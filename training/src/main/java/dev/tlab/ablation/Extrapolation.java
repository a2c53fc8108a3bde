package dev.tlab.ablation;

import ai.djl.Device;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tlab.errors.ConfigException;
import dev.tlab.eval.ContextEval.ContextLoss;
import dev.tlab.eval.ContextEval;
import dev.tlab.metrics.RunSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code eval.json} in a run directory: val loss of the final model at longer contexts. Computed
 * once after a run (or by {@code --collect} for runs trained as separate jobs) and reused while it
 * is newer than the run's {@code done.json} and covers the contexts asked for.
 */
final class Extrapolation {

    static final String FILE = "eval.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Extrapolation() {}

    static List<ContextLoss> ensure(Path runDir, List<Integer> contexts, Device device) {
        Optional<List<ContextLoss>> cached = read(runDir, contexts);
        if (cached.isPresent()) {
            return cached.get();
        }
        List<ContextLoss> results = ContextEval.evaluate(runDir, contexts, 0, device, null).losses();
        try {
            JSON.writeValue(runDir.resolve(FILE).toFile(), results);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve(FILE), e);
        }
        return results;
    }

    private static Optional<List<ContextLoss>> read(Path runDir, List<Integer> contexts) {
        Path file = runDir.resolve(FILE);
        Path done = runDir.resolve(RunSummary.FILE);
        try {
            if (!Files.isRegularFile(file) || Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(done)) < 0) {
                return Optional.empty();
            }
            List<ContextLoss> saved = JSON.readValue(file.toFile(), new TypeReference<List<ContextLoss>>() {});
            List<Integer> have = saved.stream().map(ContextLoss::context).toList();
            return have.equals(contexts) ? Optional.of(saved) : Optional.empty();
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + "); delete it to recompute", e);
        }
    }
}
