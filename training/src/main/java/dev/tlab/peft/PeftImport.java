package dev.tlab.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.checkpoint.RunStart;
import dev.tlab.checkpoint.SafeTensors;
import dev.tlab.checkpoint.TensorSource;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.hf.HfExport;
import dev.tlab.hf.HfFolder;
import dev.tlab.hf.HfModel;
import dev.tlab.hf.HfModels;
import dev.tlab.layers.Dense;
import dev.tlab.lora.Lora;
import dev.tlab.lora.LoraSpec;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a {@code peft} LoRA adapter folder ({@code adapter_config.json}, {@code
 * adapter_model.safetensors}) as tlab's adapter over the base it was made for: each module's
 * factors land on the projection part the family's table puts that module in (a fused GPT-2 {@code
 * c_attn} adapter becomes q, k and v adapters sharing its A, each with its rows of B, which adds
 * exactly what it added). tlab's adapter has one rank, one alpha and the same targets in every
 * layer; an adapter that differs, or uses what tlab does not compute (rsLoRA, DoRA, bias, extra
 * trained modules), is refused by key.
 */
public final class PeftImport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftImport() {}

    /** The adapter at {@code dir} over the base that {@code base} (from {@code baseDir}) fine-tunes from. */
    public static PeftAdapter forBase(RunStart base, Path baseDir, Path dir) {
        RunConfig saved = base.savedConfig();
        var tokenizer = base.state().tokenizer();
        ModelConfig model = saved.model().forVocabulary(tokenizer.vocabSize());
        HfModel family = HfFolder.isFolder(baseDir) ? HfModels.read(baseDir)
                : HfExport.family(model, saved.tree().get("model"), tokenizer.kind(), tokenizer.vocabSize());
        return read(dir, family, model);
    }

    /** The adapter at {@code dir} for a {@code family} model of shape {@code model}. */
    public static PeftAdapter read(Path dir, HfModel family, ModelConfig model) {
        JsonNode config = config(dir);
        Path file = dir.resolve(PeftLayout.WEIGHTS);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--adapter: " + dir + " has no " + PeftLayout.WEIGHTS
                    + " (peft's save_pretrained writes it; an adapter_model.bin must be converted)");
        }
        SafeTensors.Mapped tensors = SafeTensors.map(file);
        // The model's structure names the parts; nothing is allocated.
        Map<String, Dense> projections = Lora.projections(new DecoderLM(model));
        Set<String> unused = new LinkedHashSet<>(tensors.entries().keySet());
        // projection path, then part name, to the module holding it
        Map<String, Map<String, PeftLayout.Module>> byProjection = new LinkedHashMap<>();
        Set<Integer> ranks = new TreeSet<>();
        Set<Double> scales = new TreeSet<>();
        for (PeftLayout.Module module : PeftLayout.modules(family, projections)) {
            if (!unused.remove(module.aKey())) {
                continue;
            }
            if (!unused.remove(module.bKey())) {
                throw new ConfigException("--adapter: " + file + " has " + module.aKey() + " but no " + module.bKey());
            }
            long[] a = tensors.entries().get(module.aKey()).shape();
            int rank = (int) a[0];
            int declared = pattern(config, "rank_pattern", module.name(), config.path("r").asInt(-1)).asInt();
            if (rank != declared) {
                throw new ConfigException("--adapter: " + module.aKey() + " has rank " + rank + ", " + PeftLayout.CONFIG
                        + " declares " + declared);
            }
            double alpha = pattern(config, "alpha_pattern", module.name(), config.path("lora_alpha").asDouble(8)).asDouble();
            ranks.add(rank);
            scales.add(alpha / rank);
            for (Dense.Part part : module.parts()) {
                byProjection.computeIfAbsent(module.projection(), k -> new LinkedHashMap<>()).put(part.name(), module);
            }
        }
        if (!unused.isEmpty()) {
            throw new ConfigException("--adapter: " + file + " has tensors no module of the " + family.family()
                    + " base holds: " + new ArrayList<>(unused).subList(0, Math.min(4, unused.size())));
        }
        if (byProjection.isEmpty()) {
            throw new ConfigException("--adapter: " + file + " holds no LoRA factors");
        }
        if (ranks.size() > 1 || scales.size() > 1) {
            throw new ConfigException("--adapter: " + dir + "'s modules have ranks " + ranks + " and alpha / r " + scales
                    + "; tlab's adapter has one rank and one alpha (rank_pattern and alpha_pattern must not differ)");
        }
        int rank = ranks.iterator().next();
        double alpha = scales.iterator().next() * rank;
        List<String> targets = new ArrayList<>();
        for (String name : LoraSpec.PROJECTIONS) {
            boolean anywhere = byProjection.values().stream().anyMatch(parts -> parts.containsKey(name));
            if (!anywhere) {
                continue;
            }
            for (var projection : projections.entrySet()) {
                boolean has = projection.getValue().parts().stream().anyMatch(p -> p.name().equals(name));
                if (has && !byProjection.getOrDefault(projection.getKey(), Map.of()).containsKey(name)) {
                    throw new ConfigException("--adapter: " + dir + " adapts " + name + " in some layers but not in "
                            + projection.getKey() + "; tlab's targets apply to every layer");
                }
            }
            targets.add(name);
        }
        LoraSpec spec = new LoraSpec(rank, alpha, config.path("lora_dropout").asDouble(0), targets);
        return new PeftAdapter(dir, spec, weights(file, tensors, projections, byProjection, rank));
    }

    /** The factors under tlab's names: a fused module's A for each of its parts, and that part's rows of its B. */
    private static TensorSource weights(Path file, SafeTensors.Mapped tensors, Map<String, Dense> projections,
            Map<String, Map<String, PeftLayout.Module>> byProjection, int rank) {
        record Source(PeftLayout.Module module, Dense.Part part, boolean a) {}
        Map<String, Source> sources = new LinkedHashMap<>();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        projections.forEach((path, dense) -> {
            for (Dense.Part part : dense.parts()) {
                PeftLayout.Module module = byProjection.getOrDefault(path, Map.of()).get(part.name());
                if (module == null) {
                    continue;
                }
                sources.put(path + ".lora_a." + part.name(), new Source(module, part, true));
                shapes.put(path + ".lora_a." + part.name(), new Shape(rank, dense.inFeatures()));
                sources.put(path + ".lora_b." + part.name(), new Source(module, part, false));
                shapes.put(path + ".lora_b." + part.name(), new Shape(part.size(), rank));
            }
        });
        return new TensorSource() {
            @Override
            public String describe() {
                return file.toString();
            }

            @Override
            public Map<String, Shape> shapes() {
                return shapes;
            }

            @Override
            public NDArray read(String name, NDManager manager) {
                Source s = sources.get(name);
                if (s.a()) {
                    return tensors.read(s.module().aKey(), manager);
                }
                NDArray b = tensors.read(s.module().bKey(), manager);
                if (s.module().parts().size() == 1) {
                    return b;
                }
                long offset = s.part().offset() - s.module().parts().get(0).offset();
                return b.get(new NDIndex("{}:{}", offset, offset + s.part().size()));
            }
        };
    }

    private static JsonNode config(Path dir) {
        Path file = dir.resolve(PeftLayout.CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--adapter: " + dir + " has no " + PeftLayout.CONFIG
                    + " (a peft LoRA adapter folder holds it and " + PeftLayout.WEIGHTS + ")");
        }
        JsonNode config;
        try {
            config = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getMessage() + ")");
        }
        if (!config.path("peft_type").asText().equals("LORA")) {
            throw new ConfigException(file + ": peft_type " + config.path("peft_type") + "; tlab reads LORA adapters");
        }
        refuse(config, file, "use_rslora", "rsLoRA's alpha / sqrt(r)");
        refuse(config, file, "use_dora", "DoRA's magnitude vectors");
        refuse(config, file, "lora_bias", "LoRA biases");
        if (!config.path("bias").asText("none").equals("none")) {
            throw new ConfigException(file + ": bias " + config.get("bias") + "; tlab's adapter trains no biases (none)");
        }
        for (String key : List.of("modules_to_save", "layers_to_transform", "target_parameters")) {
            JsonNode value = config.path(key);
            if (!value.isMissingNode() && !value.isNull() && !(value.isArray() && value.isEmpty())) {
                throw new ConfigException(file + ": " + key + " " + value + "; tlab's adapter is LoRA factors on every layer's"
                        + " projections only");
            }
        }
        return config;
    }

    private static void refuse(JsonNode config, Path file, String key, String what) {
        if (config.path(key).asBoolean(false)) {
            throw new ConfigException(file + ": " + key + " is true; tlab computes plain LoRA, not " + what);
        }
    }

    /** A per-module value of {@code rank_pattern} or {@code alpha_pattern}: the entry whose key ends the module's name. */
    private static JsonNode pattern(JsonNode config, String key, String module, Number fallback) {
        var fields = config.path(key).fields();
        while (fields.hasNext()) {
            var entry = fields.next();
            if (module.equals(entry.getKey()) || module.endsWith("." + entry.getKey())) {
                return entry.getValue();
            }
        }
        return JSON.getNodeFactory().numberNode(fallback.doubleValue());
    }
}
