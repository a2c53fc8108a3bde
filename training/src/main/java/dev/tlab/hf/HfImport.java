package dev.tlab.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.Versions;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.HfTokenizer;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import dev.tlab.train.StepSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code tlab import hf}: a Hugging Face folder (GPT-2, Llama, Mistral, Qwen2, Qwen3) becomes a run
 * directory with one checkpoint,
 * {@code checkpoints/step-000000/}, that {@code sample}, {@code eval} and {@code finetune --from}
 * use like any other. The weights are streamed tensor by tensor from the memory-mapped files into
 * the checkpoint's {@code model.safetensors}; no model is built, so the import needs about one
 * tensor's memory beyond the pages of the files themselves.
 */
public final class HfImport {

    private HfImport() {}

    /**
     * The run config of the imported model: defaults, then the family's {@link HfModel#runTree},
     * then {@code overrides}, which may not touch the model section.
     *
     * @param runDir the run directory it becomes (its name and parent); null for a fine-tune reading the folder in place
     */
    public static RunConfig runConfig(HfFolder folder, Path runDir, List<String> overrides) {
        ObjectNode tree = folder.config().runTree();
        if (tree.path("data").path("tokenizer").asText().equals("hf")) {
            Path tokenizer = runDir == null ? folder.dir().resolve(Tokenizer.FILE)
                    : runDir.resolve("checkpoints").resolve(CheckpointDirectory.stepName(0)).resolve(Tokenizer.FILE);
            ((ObjectNode) tree.get("data")).put("tokenizer_file", tokenizer.toAbsolutePath().normalize().toString());
        }
        if (runDir != null) {
            Path absolute = runDir.toAbsolutePath().normalize();
            tree.put("name", absolute.getFileName().toString());
            tree.putObject("output").put("dir", absolute.getParent().toString());
        }
        String source = folder.dir().resolve(HfModels.CONFIG).toString();
        RunConfig run = ConfigLoader.fromTree(tree, source, overrides);
        if (!overrides.isEmpty() && !run.tree().get("model").equals(ConfigLoader.fromTree(tree, source, List.of()).tree().get("model"))) {
            throw new ConfigException("--set: the model section must stay the imported " + folder.config().family() + "'s ("
                    + source + "); only data, train, sample and checkpoint settings may be overridden");
        }
        return run;
    }

    /** The folder's tokenizer: GPT-2's own for GPT-2, else the folder's {@code tokenizer.json} (with its companions). */
    public static Tokenizer tokenizer(HfFolder folder) {
        if (folder.config() instanceof Gpt2Config) {
            return Gpt2Tokenizer.get();
        }
        Path file = folder.dir().resolve(Tokenizer.FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(folder.dir() + ": no " + Tokenizer.FILE + "; a " + folder.config().family()
                    + " folder carries its tokenizer (download it with the weights)");
        }
        return Tokenizers.named(file.toString(), () -> HfTokenizer.load(file));
    }

    /**
     * The folder as tlab loads it with {@code tokenizer}: the token table and head cut to the
     * tokenizer's size where {@code config.json}'s vocab_size pads them beyond it; a tokenizer with
     * more tokens than the table is refused.
     */
    public static HfFolder fitted(HfFolder folder, Tokenizer tokenizer, Consumer<String> say) {
        long rows = folder.shapes().get("wte.weight").get(0);
        if (tokenizer.vocabSize() > rows) {
            throw new ConfigException(folder.dir().resolve(Tokenizer.FILE) + ": the tokenizer has " + tokenizer.vocabSize()
                    + " tokens, more than " + HfModels.CONFIG + "'s vocab_size " + rows);
        }
        if (tokenizer.vocabSize() == rows) {
            return folder;
        }
        say.accept("vocabulary: the token table's last " + (rows - tokenizer.vocabSize()) + " rows (vocab_size " + rows
                + ", padding beyond the tokenizer's " + tokenizer.vocabSize() + " tokens, which no text reaches) are left out");
        return folder.withVocabulary(tokenizer.vocabSize());
    }

    /** What {@code state.json} says of the imported weights: step 0, the folder's tokenizer, the folder as parent. */
    public static CheckpointState state(HfFolder folder, RunConfig run, Tokenizer tokenizer) {
        return new CheckpointState(CheckpointState.FORMAT_VERSION, 0, 0, 0, run.train().seed(), StepSeeds.DESCRIPTION,
                Double.NaN, Double.NaN, 0, 0, 0, null, null, CheckpointState.TokenizerInfo.of(tokenizer),
                run.tree(), Versions.tlab(), Versions.djl(),
                folder.dir().toAbsolutePath().normalize() + " (Hugging Face " + folder.config().family() + ")", 0, 0, null, null);
    }

    /**
     * Imports {@code hfDir} into {@code runDir}, which must hold no checkpoints yet.
     *
     * @param overrides {@code --set} values on top of the imported config (e.g. {@code data.path} for eval)
     * @return the checkpoint written
     */
    public static Path run(Path hfDir, Path runDir, List<String> overrides) {
        return run(hfDir, runDir, overrides, s -> {});
    }

    /** {@link #run}, telling {@code say} what it writes, how far it is (each tenth of the weights) and what was left out. */
    public static Path run(Path hfDir, Path runDir, List<String> overrides, Consumer<String> say) {
        HfFolder opened = HfFolder.open(hfDir);
        Path checkpoints = runDir.resolve("checkpoints");
        if (CheckpointDirectory.hasCheckpoints(checkpoints)) {
            throw new ConfigException("--out: " + runDir + " already has checkpoints; import into a new directory");
        }
        Tokenizer tokenizer = tokenizer(opened);
        HfFolder folder = fitted(opened, tokenizer, say);
        RunConfig run = runConfig(folder, runDir, overrides);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("config.resolved.yaml"), run.resolvedYaml());
            // A fresh optimizer: no moments (a fine-tune with resume_optimizer starts them at zero).
            long values = folder.shapes().values().stream().mapToLong(Shape::size).sum();
            say.accept(String.format(Locale.ROOT, "importing %s: %d tensors, %,d parameters (%,d MB as float32) into %s",
                    hfDir, folder.shapes().size(), values, values * 4 / 1_000_000,
                    checkpoints.resolve(CheckpointDirectory.stepName(0))));
            return CheckpointDirectory.write(checkpoints, CheckpointDirectory.stepName(0),
                    streamed(folder, manager, values, say), List.of(), state(folder, run, tokenizer), tokenizer);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir, e);
        }
    }

    /**
     * Where a fine-tune starts: a Hugging Face folder read in place (as {@link #run} would import
     * it), else a checkpoint or run directory.
     */
    public static RunStart finetuneFrom(Path path) {
        return finetuneFrom(path, s -> {});
    }

    /** {@link #finetuneFrom}, telling {@code say} what was left out. */
    public static RunStart finetuneFrom(Path path, Consumer<String> say) {
        if (!HfFolder.isFolder(path)) {
            return RunStart.finetune(path);
        }
        HfFolder opened = HfFolder.open(path);
        Tokenizer tokenizer = tokenizer(opened);
        HfFolder folder = fitted(opened, tokenizer, say);
        return RunStart.finetune(path, state(folder, runConfig(folder, null, List.of()), tokenizer), folder);
    }

    /** A resume that can read a LoRA run's base when it is a Hugging Face folder. */
    public static RunStart resumeFrom(Path path) {
        return RunStart.resume(path, HfFolder::open);
    }

    /** The folder's tensors in tlab's names and layout, each read from its map only when written. */
    private static List<SafeTensors.Tensor> streamed(HfFolder folder, NDManager manager, long values,
            Consumer<String> say) {
        List<SafeTensors.Tensor> out = new ArrayList<>();
        long[] written = {0};
        long start = System.nanoTime();
        folder.shapes().forEach((name, shape) -> out.add(new SafeTensors.Tensor(name, "F32", shape.getShape(), stream -> {
            try (NDManager scratch = manager.newSubManager()) {
                stream.write(float32Bytes(folder.read(name, scratch)));
            }
            long tenthBefore = written[0] * 10 / Math.max(1, values);
            written[0] += shape.size();
            long tenth = written[0] * 10 / Math.max(1, values);
            if (tenth > tenthBefore) {
                say.accept(String.format(Locale.ROOT, "  %3d%% of the weights written (%.0f s)", tenth * 10,
                        (System.nanoTime() - start) / 1e9));
            }
        })));
        return out;
    }

    /** A tensor as contiguous little-endian float32 bytes (a transposed view is copied into order). */
    static byte[] float32Bytes(NDArray array) {
        return array.toType(DataType.FLOAT32, false).flatten().toByteArray();
    }
}
