package dev.tlab.peft;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.TensorSource;
import dev.tlab.errors.ConfigException;
import dev.tlab.files.DurableFiles;
import dev.tlab.hf.Gpt2Config;
import dev.tlab.hf.HfExport;
import dev.tlab.hf.HfModel;
import dev.tlab.inference.TrainedModel;
import dev.tlab.lora.Lora;
import dev.tlab.lora.LoraAdapter;
import dev.tlab.lora.LoraSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A LoRA run out of tlab: its adapter as a {@code peft} folder ({@code adapter_config.json} and
 * {@code adapter_model.safetensors}, which {@code PeftModel.from_pretrained(base, OUT)} loads over
 * the base's Hugging Face folder), or the base with the adapter merged into its weights, written as
 * {@code tlab export --format hf} writes a model.
 */
public final class LoraExport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LoraExport() {}

    /** Writes the adapter of the LoRA checkpoint at {@code path} (a run or one checkpoint) as a peft folder. */
    public static void peft(Path path, Path out, Consumer<String> say) {
        for (String existing : List.of(PeftLayout.CONFIG, PeftLayout.WEIGHTS)) {
            if (Files.exists(out.resolve(existing))) {
                throw new ConfigException(out + " already has " + existing + "; export into a new or empty folder");
            }
        }
        try (TrainedModel trained = TrainedModel.load(path, Device.cpu())) {
            Lora lora = requireLora(trained, "peft");
            HfModel family = family(trained);
            LoraSpec spec = lora.spec();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            TreeSet<String> targets = new TreeSet<>();
            Map<String, Object> ranks = new TreeMap<>();
            Map<String, Object> alphas = new TreeMap<>();
            for (PeftLayout.Module module : PeftLayout.modules(family, Lora.projections(trained.model()))) {
                LoraAdapter adapter = lora.adapters().get(module.projection());
                List<LoraAdapter.Factors> covered = adapter == null ? List.of()
                        : adapter.factors().stream().filter(f -> module.parts().contains(f.part())).toList();
                if (covered.isEmpty()) {
                    continue;
                }
                tensors.put(module.aKey(), fusedA(covered));
                tensors.put(module.bKey(), fusedB(module, covered, spec.rank()));
                targets.add(module.target());
                if (covered.size() > 1) {
                    // GPT-2's fused c_attn: one module of rank k r whose B is block-diagonal; alpha grows with it.
                    ranks.put(module.target(), covered.size() * spec.rank());
                    alphas.put(module.target(), number(covered.size() * spec.alpha()));
                }
            }
            ObjectNode config = JSON.createObjectNode();
            config.put("peft_type", "LORA");
            config.put("task_type", "CAUSAL_LM");
            config.put("base_model_name_or_path", trained.state().base().path());
            config.put("r", spec.rank());
            config.putPOJO("lora_alpha", number(spec.alpha()));
            config.put("lora_dropout", spec.dropout());
            targets.forEach(config.putArray("target_modules")::add);
            config.putPOJO("rank_pattern", ranks);
            config.putPOJO("alpha_pattern", alphas);
            config.put("bias", "none");
            config.put("fan_in_fan_out", family instanceof Gpt2Config);
            config.put("init_lora_weights", true);
            config.put("inference_mode", true);
            config.putNull("modules_to_save");
            config.putNull("layers_to_transform");
            config.putNull("layers_pattern");
            config.put("use_rslora", false);
            config.put("use_dora", false);
            config.put("lora_bias", false);
            try {
                Files.createDirectories(out);
                DurableFiles.writeSynced(out.resolve(PeftLayout.WEIGHTS),
                        o -> SafeTensors.write(o, tensors, Map.of("format", "pt")));
                DurableFiles.writeSynced(out.resolve(PeftLayout.CONFIG), o -> JSON.writeValue(o, config));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + out, e);
            }
            say.accept("exported the LoRA adapter of " + trained.checkpoint() + " (step " + trained.state().step()
                    + ", rank " + spec.rank() + ", " + targets.size() + " module kinds: " + String.join(", ", targets)
                    + ") for peft to " + out + ": " + PeftLayout.CONFIG + ", " + PeftLayout.WEIGHTS + "; load it with"
                    + " PeftModel.from_pretrained(base, \"" + out + "\") over the base's " + family.family() + " folder");
        }
    }

    /** Writes the base of the LoRA checkpoint at {@code path} with its adapter merged in, as a Hugging Face folder. */
    public static void merged(Path path, Path out, Consumer<String> say) {
        try (TrainedModel trained = TrainedModel.load(path, Device.cpu())) {
            requireLora(trained, "hf --merge");
            HfExport.run(trained.checkpoint(), out, HfExport.SHARD_BYTES, mergedWeights(trained), say);
        }
    }

    /** The model's weights by name, each adapted projection's weight with {@code (alpha / rank) B A} added. */
    static TensorSource mergedWeights(TrainedModel trained) {
        Map<String, Parameter> parameters = trained.model().namedParameters();
        Map<String, LoraAdapter> byWeight = new LinkedHashMap<>();
        trained.lora().adapters().forEach((projection, adapter) -> byWeight.put(projection + ".weight", adapter));
        return new TensorSource() {
            @Override
            public String describe() {
                return trained.checkpoint() + " merged into its base";
            }

            @Override
            public Map<String, Shape> shapes() {
                Map<String, Shape> out = new LinkedHashMap<>();
                parameters.forEach((name, p) -> out.put(name, p.getArray().getShape()));
                return out;
            }

            @Override
            public NDArray read(String name, NDManager manager) {
                NDArray weight = parameters.get(name).getArray();
                LoraAdapter adapter = byWeight.get(name);
                if (adapter == null) {
                    NDArray copy = weight.toType(DataType.FLOAT32, true);
                    copy.attach(manager);
                    return copy;
                }
                return adapter.delta(manager).add(weight.toType(DataType.FLOAT32, false));
            }
        };
    }

    private static Lora requireLora(TrainedModel trained, String format) {
        if (trained.lora() == null) {
            throw new ConfigException("--format " + format + ": " + trained.checkpoint() + " holds a whole model, not a LoRA"
                    + " adapter (finetune.method full); export it with --format hf");
        }
        return trained.lora();
    }

    /** The family {@code tlab export --format hf} writes the base as, whose module names the adapter uses. */
    static HfModel family(TrainedModel trained) {
        var state = trained.state();
        return HfExport.family(trained.model().config(), trained.config().tree().get("model"), state.tokenizer().kind(),
                state.tokenizer().vocabSize());
    }

    /** The A factors of a module's parts stacked: {@code [k r, in]}. */
    private static NDArray fusedA(List<LoraAdapter.Factors> covered) {
        if (covered.size() == 1) {
            return covered.get(0).a().getArray();
        }
        NDList parts = new NDList();
        covered.forEach(f -> parts.add(f.a().getArray()));
        return NDArrays.concat(parts, 0);
    }

    /** The B factors placed block-diagonally over the module's output rows: {@code [out, k r]}, zero elsewhere. */
    private static NDArray fusedB(PeftLayout.Module module, List<LoraAdapter.Factors> covered, int rank) {
        if (module.parts().size() == 1) {
            return covered.get(0).b().getArray();
        }
        NDManager manager = covered.get(0).b().getArray().getManager();
        long width = (long) covered.size() * rank;
        NDList rows = new NDList();
        for (var part : module.parts()) {
            int i = 0;
            while (i < covered.size() && !covered.get(i).part().equals(part)) {
                i++;
            }
            if (i == covered.size()) {
                rows.add(manager.zeros(new Shape(part.size(), width)));
                continue;
            }
            NDList columns = new NDList();
            if (i > 0) {
                columns.add(manager.zeros(new Shape(part.size(), (long) i * rank)));
            }
            columns.add(covered.get(i).b().getArray());
            if (i < covered.size() - 1) {
                columns.add(manager.zeros(new Shape(part.size(), width - (long) (i + 1) * rank)));
            }
            rows.add(columns.size() == 1 ? columns.get(0) : NDArrays.concat(columns, 1));
        }
        return NDArrays.concat(rows, 0);
    }

    /** An alpha written as peft writes it: a whole number as an integer. */
    private static Object number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? (Object) (long) value : (Object) value;
    }
}
