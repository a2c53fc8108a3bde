package dev.tlab.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.Versions;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.train.StepSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tlab import gpt2}: a Hugging Face GPT-2 folder becomes a run directory with one checkpoint,
 * {@code checkpoints/step-000000/}, that {@code sample}, {@code eval} and {@code finetune --from}
 * use like any other. The weights are streamed tensor by tensor from the memory-mapped files into
 * the checkpoint's {@code model.safetensors}; no model is built, so the import needs about one
 * tensor's memory beyond the pages of the files themselves.
 */
public final class Gpt2Import {

    private Gpt2Import() {}

    /**
     * The run config of the imported GPT-2: defaults, then {@link Gpt2Config#runTree}, then {@code overrides}.
     *
     * @param runDir the run directory it becomes (its name and parent); null for a fine-tune reading the folder in place
     */
    public static RunConfig runConfig(Gpt2Folder folder, Path runDir, List<String> overrides) {
        ObjectNode tree = folder.config().runTree();
        if (runDir != null) {
            Path absolute = runDir.toAbsolutePath().normalize();
            tree.put("name", absolute.getFileName().toString());
            tree.putObject("output").put("dir", absolute.getParent().toString());
        }
        return ConfigLoader.fromTree(tree, folder.dir().resolve(Gpt2Config.FILE).toString(), overrides);
    }

    /** What {@code state.json} says of the imported weights: step 0, GPT-2's tokenizer, the folder as parent. */
    public static CheckpointState state(Gpt2Folder folder, RunConfig run) {
        return new CheckpointState(CheckpointState.FORMAT_VERSION, 0, 0, 0, run.train().seed(), StepSeeds.DESCRIPTION,
                Double.NaN, Double.NaN, 0, 0, 0, null, null, CheckpointState.TokenizerInfo.of(Gpt2Tokenizer.get()),
                run.tree(), Versions.tlab(), Versions.djl(),
                folder.dir().toAbsolutePath().normalize() + " (Hugging Face GPT-2)", null, null);
    }

    /**
     * Imports {@code hfDir} into {@code runDir}, which must hold no checkpoints yet.
     *
     * @param overrides {@code --set} values on top of the imported config (e.g. {@code data.path} for eval)
     * @return the checkpoint written
     */
    public static Path run(Path hfDir, Path runDir, List<String> overrides) {
        Gpt2Folder folder = Gpt2Folder.open(hfDir);
        Path checkpoints = runDir.resolve("checkpoints");
        if (CheckpointDirectory.hasCheckpoints(checkpoints)) {
            throw new ConfigException("--out: " + runDir + " already has checkpoints; import into a new directory");
        }
        RunConfig run = runConfig(folder, runDir, overrides);
        if (!Gpt2Config.of(run.model().forVocabulary(Gpt2Tokenizer.VOCAB_SIZE), "gpt2").equals(folder.config())) {
            throw new ConfigException("--set: the model section must stay the imported GPT-2's (" + hfDir + "/"
                    + Gpt2Config.FILE + "); only data, train, sample and checkpoint settings may be overridden");
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("config.resolved.yaml"), run.resolvedYaml());
            // A fresh optimizer: no moments (a fine-tune with resume_optimizer starts them at zero).
            return CheckpointDirectory.write(checkpoints, CheckpointDirectory.stepName(0), streamed(folder, manager),
                    List.of(), state(folder, run), Gpt2Tokenizer.get());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir, e);
        }
    }

    /** The folder's tensors in tlab's names and layout, each read from its map only when written. */
    private static List<SafeTensors.Tensor> streamed(Gpt2Folder folder, NDManager manager) {
        List<SafeTensors.Tensor> out = new ArrayList<>();
        folder.shapes().forEach((name, shape) -> out.add(new SafeTensors.Tensor(name, "F32", shape.getShape(), stream -> {
            try (NDManager scratch = manager.newSubManager()) {
                stream.write(float32Bytes(folder.read(name, scratch)));
            }
        })));
        return out;
    }

    /** A tensor as contiguous little-endian float32 bytes (a transposed view is copied into order). */
    static byte[] float32Bytes(NDArray array) {
        return array.toType(DataType.FLOAT32, false).flatten().toByteArray();
    }
}
