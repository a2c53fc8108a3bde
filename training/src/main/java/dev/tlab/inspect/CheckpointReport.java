package dev.tlab.inspect;

import dev.tlab.layers.Biases;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.config.TrainConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@code tlab inspect} prints: a checkpoint's step, losses, config summary and every
 * parameter's name, shape and count, read from the headers alone (no tensor is loaded); for a run,
 * also the state of each of its checkpoints; for a bare {@code .safetensors} file, its tensors.
 */
public final class CheckpointReport {

    private CheckpointReport() {}

    /** @param path a run directory, a checkpoints directory, a checkpoint, or a .safetensors file */
    public static String describe(Path path) {
        if (Files.isRegularFile(path)) {
            if (!path.getFileName().toString().endsWith(".safetensors")) {
                throw new ConfigException(path + " is a file; tlab inspect takes a run directory, a checkpoint directory or a .safetensors file");
            }
            return tensors(path.toString(), SafeTensors.header(path)) + "\n";
        }
        StringBuilder out = new StringBuilder();
        CheckpointDirectory.Found found = CheckpointDirectory.locate(path);
        Path checkpoint = found.checkpoint();
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        RunConfig run = ConfigLoader.fromTree(state.config(), checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(),
                List.of());
        ModelConfig model = run.model().forVocabulary(state.tokenizer().vocabSize());
        TrainConfig train = run.train();
        line(out, "checkpoint", checkpoint + " (complete: sizes and SHA-256 match " + CheckpointDirectory.STATE_FILE + ")");
        line(out, "step", String.format(Locale.ROOT, "%,d of %,d (AdamW step %,d) | %,d tokens seen | seed %d",
                state.step(), train.steps(), state.optimizerSteps(), state.tokensSeen(), state.seed()));
        line(out, "val loss", Double.isNaN(state.valLoss()) ? "not evaluated yet"
                : String.format(Locale.ROOT, "%.4f latest | %.4f best, at step %,d", state.valLoss(), state.bestValLoss(),
                        state.bestValStep()));
        line(out, "model", String.format(Locale.ROOT,
                "%s | %d layers%s, %d heads, d_model %d, d_ff %d (%s), context %d | vocab %d | %s positions, %s (%s)%s%s | dropout %s",
                name(model.type()), model.layers(),
                model.encoderLayers() > 0 ? " (" + model.encoderLayers() + " encoder)" : "", model.heads(), model.dModel(),
                model.ffHidden(), name(model.ffn()), model.context(), model.vocabSize(), name(model.positional()),
                name(model.norm()), name(model.normPlacement()), model.tieEmbeddings() ? ", tied embeddings" : "",
                model.bias().equals(Biases.ALL) ? "" : model.bias().equals(Biases.NONE) ? ", no bias"
                        : ", biases " + model.bias(), model.dropout()));
        line(out, "train", String.format(Locale.ROOT,
                "%s on %s | batch %d x %d accum | lr %s -> %s, warmup %d | weight decay %s | %s",
                name(run.data().task()), run.data().task().synthetic() ? "generated problems" : run.data().path(),
                train.batchSize(), train.gradAccum(), train.lr(), train.minLr(), train.warmup(), train.weightDecay(),
                train.precision() + (state.lossScale() > 0 ? " (loss scale " + state.lossScale() + ")" : "")));
        line(out, "tokenizer", String.format(Locale.ROOT, "%s, %,d tokens | fingerprint %s", state.tokenizer().kind(),
                state.tokenizer().vocabSize(), state.tokenizer().fingerprint().substring(0, 16)));
        if (!run.finetune().freeze().isEmpty()) {
            line(out, "frozen", String.join(", ", run.finetune().freeze()));
        }
        if (state.parent() != null) {
            line(out, "fine-tuned", "from " + state.parent());
        }
        if (state.base() != null) {
            var lora = run.finetune().lora();
            line(out, "lora", String.format(Locale.ROOT, "rank %d, alpha %s, dropout %s, targets %s | base frozen in %s",
                    lora.rank(), lora.alpha(), lora.dropout(), String.join(", ", lora.targets()), run.finetune().basePrecision()));
            line(out, "base", state.base().path() + " | " + String.join(", ", state.base().files().entrySet().stream()
                    .map(e -> e.getKey() + " SHA-256 " + e.getValue().substring(0, 16)).toList()));
        }
        line(out, "written by", "tlab " + state.tlabVersion() + ", DJL " + state.djlVersion() + ", checkpoint format "
                + state.formatVersion());
        out.append('\n');
        SafeTensors.Header weights = SafeTensors.header(checkpoint.resolve(CheckpointDirectory.MODEL_FILE));
        out.append(tensors((state.base() != null ? "LoRA adapter (" : "parameters (") + CheckpointDirectory.MODEL_FILE + ")",
                weights));
        SafeTensors.Header moments = SafeTensors.header(checkpoint.resolve(CheckpointDirectory.OPTIMIZER_FILE));
        long momentValues = moments.entries().stream().mapToLong(SafeTensors.Entry::count).sum();
        out.append(String.format(Locale.ROOT, "optimizer (%s): AdamW moments m.* and v.* for %d tensors, %,d values%n",
                CheckpointDirectory.OPTIMIZER_FILE, moments.entries().size() / 2, momentValues));

        Path dir = checkpoint.getParent();
        if (dir != null && dir.getFileName() != null && dir.getFileName().toString().equals("checkpoints")) {
            out.append('\n').append("checkpoints in ").append(dir).append(":\n");
            List<Path> all = new ArrayList<>(CheckpointDirectory.stepDirectories(dir));
            if (Files.isDirectory(dir.resolve(CheckpointDirectory.BEST))) {
                all.add(dir.resolve(CheckpointDirectory.BEST));
            }
            for (Path p : all) {
                String problem = CheckpointDirectory.problem(p, true);
                String status;
                if (problem != null) {
                    status = "INCOMPLETE: " + problem;
                } else {
                    CheckpointState s = CheckpointDirectory.readState(p);
                    status = String.format(Locale.ROOT, "step %,d, val loss %s", s.step(),
                            Double.isNaN(s.valLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", s.valLoss()));
                }
                out.append(String.format(Locale.ROOT, "  %-12s %s%s%n", p.getFileName(), status,
                        p.equals(checkpoint) ? "  <- shown above" : ""));
            }
        }
        return out.toString();
    }

    private static String tensors(String title, SafeTensors.Header header) {
        StringBuilder out = new StringBuilder(title).append('\n');
        int width = Math.max(4, header.entries().stream().mapToInt(e -> e.name().length()).max().orElse(4));
        String row = "  %-" + width + "s  %-5s  %-16s  %,12d%n";
        out.append(String.format(Locale.ROOT, "  %-" + width + "s  %-5s  %-16s  %12s%n", "name", "dtype", "shape", "count"));
        long total = 0;
        List<SafeTensors.Entry> byName = new ArrayList<>(header.entries());
        byName.sort(java.util.Comparator.comparing(SafeTensors.Entry::name));
        for (SafeTensors.Entry e : byName) {
            out.append(String.format(Locale.ROOT, row, e.name(), e.dtype(), Arrays.toString(e.shape()), e.count()));
            total += e.count();
        }
        out.append(String.format(Locale.ROOT, "  total: %d tensors, %,d values%n", header.entries().size(), total));
        return out.toString();
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(String.format(Locale.ROOT, "%-11s %s%n", key, value));
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
