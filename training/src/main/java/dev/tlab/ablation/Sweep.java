package dev.tlab.ablation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.errors.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A spec expanded into runs: every combination of the grid's values, once per seed. Each run is
 * the base config plus {@code --set} overrides, so the same strings serve the in-process runner
 * and the job commands of {@code --emit-jobs}; every run's config is built (and so validated)
 * before anything trains.
 */
public final class Sweep {

    /**
     * One run of the sweep.
     *
     * @param setting the grid values without the seed, e.g. {@code pre-rope}
     * @param name the run's name, e.g. {@code pre-rope-seed1}
     * @param values grid key to the value this run uses, as given to {@code --set}
     * @param overrides every {@code --set} the run needs on top of the base config
     */
    public record Run(String setting, String name, long seed, Map<String, String> values, List<String> overrides,
            RunConfig config) {
        public Path dir() {
            return config.runDir();
        }
    }

    private static final YAMLMapper YAML = new YAMLMapper();

    private final AblationSpec spec;
    private final Path dir;
    private final List<Run> runs;
    private final List<String> settings;
    private final List<String> fixed;

    private Sweep(AblationSpec spec, Path dir, List<Run> runs, List<String> fixed) {
        this.spec = spec;
        this.fixed = List.copyOf(fixed);
        this.dir = dir;
        this.runs = List.copyOf(runs);
        Set<String> order = new LinkedHashSet<>();
        runs.forEach(r -> order.add(r.setting()));
        this.settings = List.copyOf(order);
    }

    public static Sweep plan(AblationSpec spec) {
        return plan(spec, List.of());
    }

    /**
     * @param extra {@code key=value} overrides for every run, after the spec's {@code set} (for a
     *     quick trial: {@code --set train.steps=50 --set output.dir=/tmp/trial})
     */
    public static Sweep plan(AblationSpec spec, List<String> extra) {
        // Key to override; a command-line override replaces the spec's value for its key.
        Map<String, String> byKey = new LinkedHashMap<>();
        spec.set().forEach((key, value) -> byKey.put(key, key + "=" + flow(value)));
        for (String override : extra) {
            String key = override.contains("=") ? override.substring(0, override.indexOf('=')).trim() : override;
            if (spec.grid().containsKey(key) || AblationSpec.bundleKeys(spec.grid()).contains(key) || key.equals("name")
                    || key.equals("train.seed")) {
                throw new ConfigException("--set " + override + ": " + key + " is set per run by the sweep");
            }
            byKey.put(key, override);
        }
        List<String> fixed = new ArrayList<>(byKey.values());
        RunConfig base = ConfigLoader.load(spec.base(), fixed);
        Path dir = base.outputDir().resolve(spec.name());
        List<Long> seeds = spec.seeds().isEmpty() ? List.of(base.train().seed()) : spec.seeds();

        List<Map<String, JsonNode>> combinations = new ArrayList<>();
        combinations.add(new LinkedHashMap<>());
        for (var axis : spec.grid().entrySet()) {
            List<Map<String, JsonNode>> next = new ArrayList<>();
            for (Map<String, JsonNode> partial : combinations) {
                for (JsonNode value : axis.getValue()) {
                    Map<String, JsonNode> extended = new LinkedHashMap<>(partial);
                    extended.put(axis.getKey(), value);
                    next.add(extended);
                }
            }
            combinations = next;
        }

        List<Run> runs = new ArrayList<>();
        Map<String, Map<String, JsonNode>> settingNames = new LinkedHashMap<>();
        // Seeds outermost: an interrupted sweep has every setting at its first seed before any second one.
        for (long seed : seeds) {
            for (Map<String, JsonNode> combination : combinations) {
                String setting = settingName(combination);
                Map<String, JsonNode> previous = settingNames.putIfAbsent(setting, combination);
                if (previous != null && !previous.equals(combination)) {
                    throw new ConfigException(spec.file() + ": settings " + previous + " and " + combination
                            + " would both be named '" + setting + "'");
                }
                String name = setting + "-seed" + seed;
                Map<String, String> values = new LinkedHashMap<>();
                // set's output.dir only places the sweep; each run gets the sweep directory below.
                List<String> overrides = new ArrayList<>(fixed.stream().filter(o -> !o.startsWith("output.dir=")).toList());
                combination.forEach((key, value) -> {
                    if (value.isObject()) {
                        values.put(key, part(key, value));
                        value.fields().forEachRemaining(f -> overrides.add(f.getKey() + "=" + flow(f.getValue())));
                    } else {
                        values.put(key, flow(value));
                        overrides.add(key + "=" + flow(value));
                    }
                });
                overrides.add("train.seed=" + seed);
                overrides.add("output.dir=" + dir);
                overrides.add("name=" + name);
                RunConfig config;
                try {
                    config = ConfigLoader.load(spec.base(), overrides);
                } catch (ConfigException e) {
                    throw new ConfigException(spec.file() + ": run " + name + ": " + e.getMessage(), e);
                }
                runs.add(new Run(setting, name, seed, values, overrides, config));
            }
        }
        return new Sweep(spec, dir, runs, fixed);
    }

    /**
     * Grid values joined by '-': text as it is, numbers and booleans after the key's last part; a
     * bundle's values likewise, in its order.
     */
    static String settingName(Map<String, JsonNode> combination) {
        List<String> parts = new ArrayList<>();
        combination.forEach((key, value) -> parts.add(part(key, value)));
        return String.join("-", parts);
    }

    private static String part(String key, JsonNode value) {
        if (value.isObject()) {
            List<String> parts = new ArrayList<>();
            value.fields().forEachRemaining(f -> parts.add(part(f.getKey(), f.getValue())));
            return String.join("-", parts);
        }
        String leaf = key.substring(key.lastIndexOf('.') + 1);
        String text = value.isTextual() ? value.asText() : leaf + flow(value);
        return text.replaceAll("[^A-Za-z0-9._]", "_");
    }

    /** A value as {@code --set} reads it back (YAML): plain text where that is unambiguous, else JSON. */
    static String flow(JsonNode value) {
        if (value.isTextual()) {
            String text = value.asText();
            if (!text.isBlank() && text.matches("[^\\s\"']*") && parse(text).equals(value)) {
                return text;
            }
        }
        String json = value.toString();
        if (!equivalent(parse(json), value)) {
            throw new IllegalStateException("value " + value + " does not survive --set as " + json);
        }
        return json;
    }

    private static JsonNode parse(String text) {
        try {
            return YAML.readTree(text);
        } catch (Exception e) {
            return YAML.getNodeFactory().nullNode();
        }
    }

    private static boolean equivalent(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.doubleValue() == b.doubleValue() && a.isIntegralNumber() == b.isIntegralNumber();
        }
        if (a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                if (!equivalent(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    public AblationSpec spec() {
        return spec;
    }

    /** Where the runs and the results go: {@code <output.dir>/<spec name>/}. */
    public Path dir() {
        return dir;
    }

    public List<Run> runs() {
        return runs;
    }

    /** The overrides every run shares: the spec's set, then any given on the command line. */
    public List<String> fixed() {
        return fixed;
    }

    /** Setting names in grid order. */
    public List<String> settings() {
        return settings;
    }

    /**
     * One self-contained shell command per run: {@code <launcher> train BASE --set ...}. Run them
     * anywhere (from the working directory this sweep was planned in), then {@code --collect}.
     */
    public List<String> commands(String launcher) {
        return runs.stream().map(run -> launcher + " " + arguments(run)).toList();
    }

    /** A run's command line after the launcher, shell-quoted: {@code train BASE --set ...}. */
    public String arguments(Run run) {
        StringBuilder line = new StringBuilder("train ").append(shellQuote(relative(spec.base())));
        for (String override : run.overrides()) {
            line.append(" --set ").append(shellQuote(override));
        }
        return line.toString();
    }

    /** {@code path} relative to the working directory when it lies below it, else absolute. */
    static String relative(Path path) {
        Path cwd = Path.of("").toAbsolutePath();
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(cwd) ? cwd.relativize(absolute).toString() : absolute.toString();
    }

    static String shellQuote(String word) {
        if (word.matches("[A-Za-z0-9._/=:,+@%-]+")) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
