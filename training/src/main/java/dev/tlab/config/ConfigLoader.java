package dev.tlab.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.data.DataTask;
import dev.tlab.data.SyntheticSeq2Seq;
import dev.tlab.errors.ConfigException;
import dev.tlab.lora.LoraSpec;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelKeys;
import dev.tlab.sample.ContextLimit;
import java.util.function.Supplier;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * YAML plus {@code --set key=value} overrides, merged onto the defaults, checked key by key, and
 * turned into a {@link RunConfig}; the one place a config is bound, also for the tree a checkpoint
 * saved ({@link #fromTree}). Every error names the key, the file and the allowed values.
 */
public final class ConfigLoader {

    /** A key twice in one mapping is refused: otherwise the last one would silently win. */
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The top-level key naming a base config; consumed while loading, never part of the tree. */
    public static final String EXTENDS = "extends";

    /**
     * Configs and checkpoints from before {@code data.task} alone decided the model may still set
     * it: accepted when it agrees with the task, and then ignored.
     */
    private static final String LEGACY_MODEL_TYPE = "model.type";

    /** The {@code data} keys that name files: relative ones are resolved against the config that sets them. */
    private static final List<String> PATH_KEYS = List.of("path", "tokenizer_file", "val_path", "cache");

    /** A micro-batch's tokens are one Java array; this is the longest the JVM allocates. */
    static final long MAX_BATCH_TOKENS = Integer.MAX_VALUE - 8;

    private ConfigLoader() {}

    /**
     * Loads a config file: defaults, then its {@code extends} chain (base first), then the file,
     * then the overrides. The run name defaults to the file's name.
     */
    public static RunConfig load(Path file, List<String> overrides) {
        String name = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        ObjectNode merged = defaults();
        mergeFile(merged, file, new ArrayList<>(), true, null);
        return finish(merged, overrides, name, file.toAbsolutePath().getParent());
    }

    /**
     * @param source what to call the text in errors (usually its file name)
     * @param baseDir the directory relative {@code data.path} and {@code extends} values are resolved against
     * @param defaultName the run name when the config does not set one
     */
    public static RunConfig parse(
            String yamlText, String source, Path baseDir, String defaultName, List<String> overrides) {
        ObjectNode merged = defaults();
        mergeLayer(merged, readYaml(yamlText, source), source, baseDir, new ArrayList<>(), true);
        return finish(merged, overrides, defaultName, baseDir);
    }

    /**
     * Binds a resolved config tree, as {@link RunConfig#tree} writes it (a checkpoint's saved
     * config), then the overrides. Keys the tree lacks take their defaults.
     *
     * @param source what to call the tree in errors (usually the file it was read from)
     */
    public static RunConfig fromTree(JsonNode tree, String source, List<String> overrides) {
        ObjectNode merged = defaults();
        mergeLayer(merged, tree, source, null, new ArrayList<>(), true);
        return finish(merged, overrides, "run", null);
    }

    /** {@code run} with {@code --set} overrides applied to its tree, bound again. */
    public static RunConfig withOverrides(RunConfig run, List<String> overrides) {
        return overrides.isEmpty() ? run : fromTree(run.tree(), "resolved config", overrides);
    }

    private static RunConfig finish(ObjectNode merged, List<String> overrides, String defaultName, Path baseDir) {
        for (String override : overrides) {
            applyOverride(merged, override);
        }
        JsonNode name = merged.path("name");
        if (name.isTextual() && name.asText().isBlank()) {
            merged.put("name", defaultName);
        }
        return build(merged, baseDir);
    }

    /** Reads a config file and merges it, its bases first. {@code chain} holds the files being read, for cycles. */
    private static void mergeFile(ObjectNode merged, Path file, List<Path> chain, boolean leaf, String referrer) {
        Path absolute = file.toAbsolutePath().normalize();
        if (chain.contains(absolute)) {
            List<String> names = new ArrayList<>();
            for (Path p : chain.subList(chain.indexOf(absolute), chain.size())) {
                names.add(p.toString());
            }
            names.add(absolute.toString());
            throw new ConfigException("extends: cycle " + String.join(" -> ", names));
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException((referrer == null ? "CONFIG: " : referrer + ": extends: ") + file
                    + " is a directory, not a config file; give a YAML config such as configs/shakespeare-char.yaml"
                    + (referrer == null && Files.isDirectory(file.resolve("checkpoints"))
                            ? " (to continue the run in it: tlab resume " + file + ")" : ""));
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(referrer == null
                    ? "config file not found: " + file
                    : referrer + ": extends: base config not found: " + file);
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException((referrer == null ? "" : referrer + ": extends: ") + "config file " + file
                    + " is not UTF-8 text; a run config is YAML");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        chain.add(absolute);
        mergeLayer(merged, readYaml(text, file.toString()), file.toString(), absolute.getParent(), chain, leaf);
        chain.remove(chain.size() - 1);
    }

    /**
     * Merges one config's tree: first the base it {@code extends} (relative to {@code dir}), then its
     * own keys. A base's {@code name} is not inherited (two configs extending one base would share a
     * run directory), and a relative {@code data.path} is resolved against the file that sets it.
     */
    private static void mergeLayer(
            ObjectNode merged, JsonNode tree, String source, Path dir, List<Path> chain, boolean leaf) {
        if (tree == null || tree.isNull() || tree.isMissingNode()) {
            return;
        }
        if (!tree.isObject()) {
            throw new ConfigException(source + ": the top level must be a mapping of keys");
        }
        ObjectNode layer = ((ObjectNode) tree).deepCopy();
        JsonNode base = layer.remove(EXTENDS);
        if (base != null) {
            if (!base.isTextual() || base.asText().isBlank()) {
                throw new ConfigException(source + ": extends expects the path of a base config, got " + base);
            }
            if (dir == null) {
                throw new ConfigException(source + ": extends needs a config file to resolve '" + base.asText() + "' against");
            }
            mergeFile(merged, dir.resolve(base.asText()), chain, false, source);
        }
        if (!leaf) {
            layer.remove("name");
        }
        for (String key : PATH_KEYS) {
            JsonNode path = layer.path("data").path(key);
            if (path.isTextual() && !path.asText().isEmpty() && dir != null) {
                ((ObjectNode) layer.get("data")).put(key, resolveData(path.asText(), dir).toString());
            }
        }
        merge(merged, layer, "", source);
    }

    /** The defaults tree, a fresh copy each call. */
    public static ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(ModelKeys.DEFAULTS_RESOURCE)) {
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readYaml(String text, String source) {
        try {
            return YAML.readTree(text);
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            // A --set value is one line; a file's line helps find the key.
            String line = where == null || source.startsWith("--set") ? "" : " at line " + where.getLineNr();
            String duplicate = duplicateKey(e);
            if (duplicate != null) {
                throw new ConfigException(source + ": duplicate key '" + duplicate + "'" + line + "; each key may appear once");
            }
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Malformed numeric value")
                    && e.getProcessor() instanceof JsonParser parser && parser.getParsingContext() != null) {
                // YAML's .nan and .inf: Jackson cannot read them, and no setting could use them anyway.
                String key = dotted(parser.getParsingContext().pathAsPointer().toString());
                throw new ConfigException(source + (key.isEmpty() ? "" : ": " + key) + ": expected a finite number, got "
                        + message.substring(message.indexOf('\'')) + line);
            }
            throw new ConfigException(source + ": invalid YAML" + syntaxError(e, where, !source.startsWith("--set")), e);
        }
    }

    /**
     * A YAML syntax error in one line: where, what, and what was being read, without the parser's
     * excerpt of the file (a caret under a copied line says nothing on one line).
     */
    private static String syntaxError(JsonProcessingException e, com.fasterxml.jackson.core.JsonLocation where,
            boolean withPosition) {
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked && marked.getProblem() != null) {
            var mark = marked.getProblemMark();
            var contextMark = marked.getContextMark();
            String at = !withPosition || mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
            String context = marked.getContext() == null ? "" : " (" + marked.getContext()
                    + (withPosition && contextMark != null ? " from line " + (contextMark.getLine() + 1) + ", column "
                            + (contextMark.getColumn() + 1) : "") + ")";
            return at + ": " + oneLine(marked.getProblem() + context);
        }
        String message = String.valueOf(e.getOriginalMessage());
        return (withPosition && where != null ? " at line " + where.getLineNr() : "") + ": "
                + oneLine(message.lines().findFirst().orElse(message));
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s*\n\\s*", " ").strip();
    }

    /** The dotted key a strict parser found twice, or null if {@code e} is another error. */
    private static String duplicateKey(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null || !message.startsWith("Duplicate field '")) {
            return null;
        }
        String name = message.substring("Duplicate field '".length(), message.lastIndexOf('\''));
        if (e.getProcessor() instanceof JsonParser parser && parser.getParsingContext() != null) {
            // The context is the mapping holding the key; its path gives the sections above it.
            String prefix = parser.getParsingContext().getParent() == null ? ""
                    : dotted(parser.getParsingContext().getParent().pathAsPointer().toString());
            return prefix.isEmpty() ? name : prefix + "." + name;
        }
        return name;
    }

    /** {@code /train/lr} as {@code train.lr}. */
    private static String dotted(String pointer) {
        return pointer.isEmpty() ? "" : String.join(".", pointer.substring(1).split("/"));
    }

    /** Copies {@code user} over {@code base}; a key the base lacks is an error listing valid ones. */
    private static void merge(ObjectNode base, ObjectNode user, String prefix, String source) {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = prefix + field.getKey();
            JsonNode current = base.get(field.getKey());
            JsonNode value = field.getValue();
            if (current == null && key.equals(LEGACY_MODEL_TYPE) && !value.isObject()) {
                base.set(field.getKey(), value); // checked against data.task when bound
                continue;
            }
            if (current == null) {
                throw unknownKey(key, base, prefix, source);
            }
            if (current.isObject()) {
                if (!value.isObject()) {
                    throw new ConfigException(
                            source + ": '" + key + "' is a section; expected keys "
                                    + validKeys(current) + ", got " + value);
                }
                merge((ObjectNode) current, (ObjectNode) value, key + ".", source);
            } else if (value.isObject()) {
                throw new ConfigException(source + ": '" + key + "' takes a value, not a section");
            } else {
                base.set(field.getKey(), value);
            }
        }
    }

    private static void applyOverride(ObjectNode merged, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("--set expects key=value, got '" + override + "'");
        }
        String key = override.substring(0, eq).trim();
        String rawValue = override.substring(eq + 1);
        JsonNode value =
                rawValue.isBlank() ? TextNode.valueOf(rawValue) : readYaml(rawValue, "--set " + key);
        ObjectNode patch = YAML.createObjectNode();
        ObjectNode leaf = patch;
        String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            leaf = leaf.putObject(parts[i]);
        }
        leaf.set(parts[parts.length - 1], value);
        merge(merged, patch, "", "--set " + override);
    }

    private static ConfigException unknownKey(String key, ObjectNode section, String prefix, String source) {
        String where = prefix.isEmpty() ? "top-level keys" : "keys under '" + prefix.substring(0, prefix.length() - 1) + "'";
        return new ConfigException(
                source + ": unknown config key '" + key + "'; valid " + where + ": " + validKeys(section));
    }

    private static String validKeys(JsonNode section) {
        List<String> names = new ArrayList<>();
        section.fieldNames().forEachRemaining(names::add);
        return String.join(", ", names);
    }

    private static RunConfig build(ObjectNode merged, Path baseDir) {
        ConfigTree c = new ConfigTree(merged);
        DataTask task = parse(() -> DataTask.parse(c.text("data.task")));
        if (!merged.path("model").path("type").isMissingNode()) {
            String type = c.text(LEGACY_MODEL_TYPE);
            if (!type.equals(task.model().toString())) {
                throw new ConfigException("model.type = " + type + " disagrees with data.task = " + task + ", which trains "
                        + task.model() + " models; the model type follows data.task, so remove model.type");
            }
        }
        ModelConfig model = parse(() -> ModelKeys.bind(c.node("model"), task.model()));
        double[] betas = c.numbers("train.betas", 2);
        TrainConfig train =
                new TrainConfig(
                        c.integer("train.steps"),
                        c.integer("train.batch_size"),
                        c.integer("train.grad_accum"),
                        c.number("train.lr"),
                        c.number("train.min_lr"),
                        c.integer("train.warmup"),
                        c.integer("train.decay_steps"),
                        c.number("train.weight_decay"),
                        betas[0],
                        betas[1],
                        c.number("train.eps"),
                        c.number("train.grad_clip"),
                        c.integer("train.eval_every"),
                        c.integer("train.eval_batches"),
                        c.integer("train.log_every"),
                        c.text("train.device"),
                        c.text("train.precision"),
                        c.longValue("train.seed"),
                        c.integer("train.profile_steps"),
                        c.text("train.checkpoint_signal"),
                        c.bool("train.stop_on_nan"),
                        c.integer("train.threads"),
                        c.text("train.extend"));
        long batchTokens = (long) train.batchSize() * model.context();
        if (batchTokens > MAX_BATCH_TOKENS) {
            throw new ConfigException("train.batch_size * model.context = " + train.batchSize() + " * " + model.context()
                    + " = " + batchTokens + " tokens per micro-batch is out of range; at most " + MAX_BATCH_TOKENS
                    + " (lower train.batch_size, or move it to train.grad_accum)");
        }
        if (c.text("data.path").isBlank() && !task.synthetic()) {
            throw new ConfigException("data.path: empty; data.task " + c.text("data.task") + " needs a corpus: a text file,"
                    + " a folder of them, a glob, or a JSON Lines file");
        }
        // Paths set in a file were resolved against it while merging; the default and --set ones are resolved here.
        DataConfig data =
                new DataConfig(
                        resolveData(c.text("data.path"), baseDir),
                        c.text("data.tokenizer"),
                        c.integer("data.vocab_size"),
                        optionalPath(c.text("data.tokenizer_file"), baseDir),
                        parse(() -> DataConfig.Newlines.parse(c.text("data.newlines"))),
                        c.text("data.text_field"),
                        optionalPath(c.text("data.val_path"), baseDir),
                        optionalPath(c.text("data.cache"), baseDir),
                        c.number("data.val_fraction"),
                        task,
                        c.number("data.mask_fraction"),
                        c.integer("data.min_length"),
                        c.integer("data.max_length"),
                        parse(() -> ChatOptions.Format.parse(c.text("data.format"))),
                        optionalPath(c.text("data.chat_template"), baseDir),
                        parse(() -> ChatOptions.LossOn.parse(c.text("data.loss_on"))),
                        parse(() -> ChatOptions.Overlong.parse(c.text("data.overlong"))),
                        parse(() -> ChatOptions.Packing.parse(c.text("data.packing"))),
                        parse(() -> DataConfig.encoding(c.text("data.encoding"))),
                        parse(() -> DataConfig.OnBadFile.parse(c.text("data.on_bad_file"))));
        if (data.task().synthetic()) {
            var problems = new SyntheticSeq2Seq(data.task(), data.minLength(), data.maxLength(), 0);
            int longest = Math.max(problems.maxSourceLength(), problems.maxTargetLength());
            if (longest > model.context()) {
                throw new ConfigException("model.context (" + model.context() + ") is shorter than the longest "
                        + data.task() + " sequence (" + longest + " tokens at data.max_length = " + data.maxLength()
                        + "); raise model.context or lower data.max_length");
            }
        }
        CheckpointConfig checkpoint =
                new CheckpointConfig(c.integer("checkpoint.every"), c.integer("checkpoint.keep"));
        SampleConfig sample =
                new SampleConfig(
                        c.text("sample.prompt"),
                        c.integer("sample.tokens"),
                        c.number("sample.temperature"),
                        c.integer("sample.top_k"),
                        c.number("sample.top_p"),
                        c.text("sample.stop"),
                        parse(() -> ContextLimit.parse(c.text("sample.context_limit"))));
        FinetuneConfig finetune = new FinetuneConfig(c.texts("finetune.freeze"),
                FinetuneConfig.VocabPolicy.parse(c.text("finetune.vocab")), c.bool("finetune.resume_optimizer"),
                FinetuneConfig.Method.parse(c.text("finetune.method")),
                new LoraSpec(c.integer("finetune.lora.rank"), c.number("finetune.lora.alpha"),
                        c.number("finetune.lora.dropout"), c.texts("finetune.lora.targets")),
                c.text("finetune.base_precision"));
        String basePrecision = finetune.basePrecision();
        if (!basePrecision.equals("fp32") && !basePrecision.equals(train.precision())) {
            throw new ConfigException("finetune.base_precision: " + basePrecision + " needs train.precision " + basePrecision
                    + " (the frozen base is multiplied in the activations' type); it is " + train.precision()
                    + ", so use base_precision fp32 or train.precision " + basePrecision);
        }
        MetricsConfig metrics = new MetricsConfig(c.bool("metrics.tensorboard"));
        return new RunConfig(c.text("name"), model, train, data, checkpoint, sample, finetune, metrics,
                Path.of(c.text("output.dir")));
    }

    /** Runs an enum parse, turning its message (which names the key) into a config error. */
    private static <T> T parse(Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** An optional path key: empty stays null. */
    private static Path optionalPath(String path, Path baseDir) {
        return path.isBlank() ? null : resolveData(path, baseDir);
    }

    /** Relative to the config file, falling back to the working directory; absolute when resolved. */
    private static Path resolveData(String path, Path baseDir) {
        Path given = Path.of(path);
        if (given.isAbsolute() || baseDir == null) {
            return given;
        }
        Path besideConfig = baseDir.resolve(given).toAbsolutePath().normalize();
        if (!Files.exists(besideConfig) && Files.exists(given)) {
            return given.toAbsolutePath().normalize();
        }
        return besideConfig;
    }
}
