package dev.tlab.hf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tlab.checkpoint.CheckpointDirectory;
import dev.tlab.checkpoint.CheckpointState;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.TensorSource;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.models.ModelConfig;
import dev.tlab.tokenize.Tokenizer;
import dev.tlab.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code tlab export --format hf}: a checkpoint written as a Hugging Face GPT-2 folder that {@code
 * GPT2LMHeadModel.from_pretrained} loads: {@code config.json}, {@code model.safetensors} (float32,
 * the names {@code save_pretrained} writes: {@code transformer.h.0.attn.c_attn.weight}, Conv1D
 * weights transposed back to {@code [in, out]}, no {@code lm_head.weight} since it is tied), and the
 * tokenizer's {@code tokenizer.json} for {@code bpe} and {@code hf} runs. Streamed tensor by tensor
 * from the memory-mapped checkpoint.
 */
public final class Gpt2Export {

    private Gpt2Export() {}

    /**
     * @param path a run directory (its newest complete checkpoint) or one checkpoint
     * @param out the folder to write; it must not hold a {@code config.json} or {@code model.safetensors} already
     * @param say hears what was written, and what was not (GPT-2's own tokenizer files)
     */
    public static void run(Path path, Path out, Consumer<String> say) {
        Path checkpoint = CheckpointDirectory.find(path);
        CheckpointState state = CheckpointDirectory.readState(checkpoint);
        RunConfig run = ConfigLoader.fromTree(state.config(), checkpoint.resolve(CheckpointDirectory.STATE_FILE).toString(),
                List.of());
        ModelConfig model = run.model().forVocabulary(state.tokenizer().vocabSize());
        String kind = state.tokenizer().kind();
        Gpt2Config config = Gpt2Config.of(model, kind);
        for (String existing : List.of(Gpt2Config.FILE, Gpt2Folder.WEIGHTS)) {
            if (Files.exists(out.resolve(existing))) {
                throw new ConfigException(out + " already has " + existing + "; export into a new or empty folder");
            }
        }
        SafeTensors.Mapped weights = SafeTensors.map(checkpoint.resolve(CheckpointDirectory.MODEL_FILE));
        TensorSource source = TensorSource.of(weights);
        List<Gpt2Layout.Tensor> layout = Gpt2Layout.tensors(config);
        List<String> problems = new ArrayList<>();
        for (Gpt2Layout.Tensor t : layout) {
            var entry = weights.entries().get(t.tlab());
            if (entry == null) {
                problems.add("'" + t.tlab() + "' is missing");
            } else if (!Arrays.equals(entry.shape(), t.tlabShape())) {
                problems.add("'" + t.tlab() + "' is " + Arrays.toString(entry.shape()) + ", expected "
                        + Arrays.toString(t.tlabShape()));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(weights.file() + " does not fit its config: " + String.join("; ", problems));
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Files.createDirectories(out);
            List<SafeTensors.Tensor> tensors = new ArrayList<>();
            for (Gpt2Layout.Tensor t : layout) {
                tensors.add(new SafeTensors.Tensor(Gpt2Layout.PREFIX + t.hf(), "F32", t.hfShape(), stream -> {
                    try (NDManager scratch = manager.newSubManager()) {
                        NDArray array = source.read(t.tlab(), scratch);
                        stream.write(Gpt2Import.float32Bytes(t.transposed() ? array.transpose() : array));
                    }
                }));
            }
            // transformers refuses a safetensors file whose metadata does not say "pt".
            DurableFiles.writeSynced(out.resolve(Gpt2Folder.WEIGHTS), o -> SafeTensors.write(o, tensors, Map.of("format", "pt")));
            Tokenizer tokenizer = Tokenizers.load(kind, state.tokenizer().vocabSize(), state.tokenizer().fingerprint(),
                    state.vocabulary(), checkpoint);
            if (!kind.equals("gpt2")) {
                Files.copy(checkpoint.resolve(Tokenizer.FILE), out.resolve(Tokenizer.FILE));
            }
            int endOfText = tokenizer.documentSeparator();
            DurableFiles.writeSynced(out.resolve(Gpt2Config.FILE),
                    o -> o.write(config.json(model.dropout(), endOfText).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
        say.accept("exported " + checkpoint + " (step " + state.step() + ") to " + out + ": " + Gpt2Config.FILE + ", "
                + Gpt2Folder.WEIGHTS + (kind.equals("gpt2")
                ? "; the tokenizer is GPT-2's own (data.tokenizer gpt2), so no tokenizer files are written:"
                        + " load it with GPT2TokenizerFast.from_pretrained(\"openai-community/gpt2\")"
                : ", " + Tokenizer.FILE + " (data.tokenizer " + kind + ")"));
    }
}
