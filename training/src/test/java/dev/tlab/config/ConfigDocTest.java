package dev.tlab.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.errors.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/CONFIG.md, defaults.yaml and the config records must agree, so none of them can drift:
 * same keys, same defaults, the types the loader reads, and the allowed values it accepts.
 */
class ConfigDocTest {

    private static final Path DOC = Path.of("../docs/CONFIG.md");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** One row of the keys table. */
    record Row(String key, String type, String defaultValue, String allowed) {}

    /** The rows of the table under "## Keys", by key. */
    static Map<String, Row> documentedKeys() throws Exception {
        Map<String, Row> rows = new LinkedHashMap<>();
        boolean inKeys = false;
        for (String line : Files.readAllLines(DOC)) {
            if (line.startsWith("## ")) {
                inKeys = line.equals("## Keys");
                continue;
            }
            if (!inKeys || !line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
            assertEquals(5, cells.length, "a keys row has 5 cells (key, type, default, allowed, meaning): " + line);
            String key = unquote(cells[0].trim());
            assertFalse(rows.containsKey(key), "documented twice: " + key);
            rows.put(key, new Row(key, cells[1].trim(), unquote(cells[2].trim()), cells[3].trim()));
            assertFalse(cells[4].isBlank(), key + " has no meaning");
        }
        assertFalse(rows.isEmpty(), "no keys table found in " + DOC);
        return rows;
    }

    private static String unquote(String cell) {
        return cell.startsWith("`") && cell.endsWith("`") ? cell.substring(1, cell.length() - 1) : cell;
    }

    /** Every leaf of the defaults tree as dotted key to value. */
    static Map<String, JsonNode> defaultLeaves() {
        Map<String, JsonNode> leaves = new LinkedHashMap<>();
        flatten(ConfigLoader.defaults(), "", leaves);
        return leaves;
    }

    private static void flatten(JsonNode node, String prefix, Map<String, JsonNode> out) {
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isObject()) {
                flatten(e.getValue(), prefix + e.getKey() + ".", out);
            } else {
                out.put(prefix + e.getKey(), e.getValue());
            }
        });
    }

    @Test
    void everyDefaultKeyIsDocumentedAndNothingElse() throws Exception {
        Set<String> documented = documentedKeys().keySet();
        Set<String> defaults = defaultLeaves().keySet();
        Set<String> undocumented = new TreeSet<>(defaults);
        undocumented.removeAll(documented);
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(defaults);
        assertTrue(undocumented.isEmpty(), "keys missing from docs/CONFIG.md: " + undocumented);
        assertTrue(unknown.isEmpty(), "docs/CONFIG.md documents keys defaults.yaml lacks: " + unknown);
        assertEquals(new ArrayList<>(defaults), new ArrayList<>(documented), "same order as defaults.yaml");
    }

    @Test
    void documentedDefaultsMatchDefaultsYaml() throws Exception {
        Map<String, JsonNode> defaults = defaultLeaves();
        for (Row row : documentedKeys().values()) {
            JsonNode documented = YAML.readTree(row.defaultValue());
            JsonNode actual = defaults.get(row.key());
            boolean equal = documented.isNumber() && actual.isNumber()
                    ? documented.doubleValue() == actual.doubleValue()
                    : documented.equals(actual);
            assertTrue(equal, row.key() + ": documented default " + row.defaultValue() + ", defaults.yaml has " + actual);
        }
    }

    @Test
    void documentedTypesAreWhatTheLoaderReads() throws Exception {
        Map<String, JsonNode> defaults = defaultLeaves();
        for (Row row : documentedKeys().values()) {
            JsonNode value = defaults.get(row.key());
            String expected = value.isBoolean() ? "bool"
                    : value.isIntegralNumber() ? "int"
                    : value.isNumber() ? "float"
                    : value.isArray() ? (row.key().equals("train.betas") ? "[float, float]" : "[string]")
                    : "string";
            assertEquals(expected, row.type(), row.key() + ": type of the default " + value);
            // A value of the wrong type must be rejected with the key named: proof that the
            // loader reads this key, as this type, into a record.
            String wrong = switch (row.type()) {
                case "int" -> "1.5";
                case "float", "[float, float]" -> "abc";
                case "bool" -> "maybe";
                case "[string]" -> "{a: 1}";
                default -> "[1, 2]";
            };
            var e = assertThrows(ConfigException.class, () -> load(row.key() + "=" + wrong),
                    row.key() + " = " + wrong + " was accepted");
            assertTrue(e.getMessage().contains(row.key()), e.getMessage());
        }
    }

    @Test
    void allowedValuesOfEnumKeysAreExactlyWhatTheLoaderAccepts() throws Exception {
        Pattern allowedList = Pattern.compile("allowed: (.*)$");
        int enums = 0;
        for (Row row : documentedKeys().values()) {
            assertFalse(row.allowed().isBlank(), row.key() + " has no allowed values");
            if (!row.type().equals("string")) {
                continue;
            }
            String message;
            try {
                load(row.key() + "=no_such_value");
                continue; // free text (name, paths, prompt)
            } catch (ConfigException e) {
                message = e.getMessage();
            }
            Matcher m = allowedList.matcher(message);
            if (!m.find()) {
                continue; // rejected for another reason (name's character set)
            }
            Set<String> accepted = new LinkedHashSet<>(Arrays.asList(m.group(1).split(", ")));
            Set<String> documented = new LinkedHashSet<>();
            Matcher code = Pattern.compile("`([^`]+)`").matcher(row.allowed());
            while (code.find()) {
                documented.add(code.group(1));
            }
            assertEquals(accepted, documented, row.key() + ": allowed values in docs/CONFIG.md vs the loader");
            enums++;
        }
        // At least these (a new enum key adds one): proof that the allowed lists were read at all.
        assertTrue(enums >= 22, enums + " keys with allowed lists; expected model.ffn, gelu, norm_placement, norm, positional,"
                + " attention, train.device, precision, checkpoint_signal, extend, data.task, tokenizer, newlines, format,"
                + " loss_on, overlong, packing, on_bad_file, finetune.vocab, finetune.method, finetune.base_precision,"
                + " sample.context_limit and any added since");
    }

    @Test
    void everyKeyIsARecordComponentAndEveryComponentAKey() throws Exception {
        Map<String, Class<? extends Record>> sections = Map.of(
                "model", dev.tlab.models.ModelConfig.class, "train", TrainConfig.class, "data", DataConfig.class,
                "checkpoint", CheckpointConfig.class, "finetune", FinetuneConfig.class, "sample", SampleConfig.class,
                "metrics", MetricsConfig.class);
        // Components that are not one key each: derived from the data, or one key split in two.
        Map<String, Set<String>> splitOrDerived = Map.of(
                "model", Set.of("type", "vocabSize"), "train", Set.of("beta1", "beta2"));
        ObjectNode defaults = ConfigLoader.defaults();
        for (var section : sections.entrySet()) {
            Set<String> keys = new TreeSet<>();
            defaults.get(section.getKey()).fieldNames().forEachRemaining(k -> keys.add(camel(k)));
            Set<String> components = new TreeSet<>();
            for (var component : section.getValue().getRecordComponents()) {
                components.add(component.getName());
            }
            components.removeAll(splitOrDerived.getOrDefault(section.getKey(), Set.of()));
            if (section.getKey().equals("train")) {
                components.add("betas");
            }
            assertEquals(keys, components, "keys under '" + section.getKey() + "' vs " + section.getValue().getSimpleName());
        }
        Set<String> top = new TreeSet<>();
        defaults.fieldNames().forEachRemaining(top::add);
        assertEquals(new TreeSet<>(List.of("name", "model", "train", "data", "checkpoint", "finetune", "sample", "metrics", "output")), top);
        assertTrue(Arrays.stream(RunConfig.class.getRecordComponents()).anyMatch(c -> c.getName().equals("outputDir")));
        if (defaults.get("output").size() != 1) {
            fail("output has keys RunConfig does not read: " + defaults.get("output"));
        }
    }

    private static String camel(String snake) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static RunConfig load(String override) {
        return ConfigLoader.parse("{}", "doc-test", Path.of("../configs").toAbsolutePath(), "doc", List.of(override));
    }
}
