package dev.tlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.util.EnumNames;
import dev.tlab.util.JsonValues;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code model} keys: one per {@link ModelConfig} component ({@code dModel} is {@code
 * model.d_model}), in the order and with the defaults of {@code defaults.yaml}, the only place a
 * default is written. Binding a config tree, writing a config back (for {@code state.json}) and
 * the {@link ModelConfig.Builder}'s starting point are all derived from the components, so a new
 * key is a component, its line in {@code defaults.yaml} and the code that uses it.
 *
 * <p>A component's type says how its key is read: {@code int}, {@code double}, {@code boolean}, an
 * enum written in lower case, or a type with {@code static T parse(String key, JsonNode value)}
 * and {@code JsonNode toJson()} (as {@link dev.tlab.layers.Biases}).
 */
public final class ModelKeys {

    /** The file of every config key and its default, on the class path. */
    public static final String DEFAULTS_RESOURCE = "/dev/tlab/config/defaults.yaml";

    /** Components that are not keys: {@code data.task} decides the type, the tokenizer the vocabulary. */
    private static final Set<String> NOT_KEYS = Set.of("type", "vocabSize");

    private static final RecordComponent[] COMPONENTS = ModelConfig.class.getRecordComponents();
    private static final Constructor<ModelConfig> CANONICAL = canonical();
    /** Key to component, in the order of {@code defaults.yaml}. */
    private static final Map<String, RecordComponent> BY_KEY = new LinkedHashMap<>();
    private static final ObjectNode DEFAULTS = readDefaults();
    private static final ModelConfig DEFAULT_CONFIG;

    static {
        Map<String, RecordComponent> components = new LinkedHashMap<>();
        for (RecordComponent component : COMPONENTS) {
            if (!NOT_KEYS.contains(component.getName())) {
                components.put(key(component.getName()), component);
            }
        }
        List<String> keys = new ArrayList<>();
        DEFAULTS.fieldNames().forEachRemaining(keys::add);
        if (!new TreeSet<>(keys).equals(new TreeSet<>(components.keySet()))) {
            throw new IllegalStateException("defaults.yaml's model keys " + keys + " and ModelConfig's components "
                    + components.keySet() + " must be the same");
        }
        for (String key : keys) {
            BY_KEY.put(key, components.get(key));
        }
        DEFAULT_CONFIG = bind(DEFAULTS, ModelType.DECODER);
    }

    private ModelKeys() {}

    /** Every model key, without the {@code model.} prefix, in the order of {@code defaults.yaml}. */
    public static List<String> keys() {
        return List.copyOf(BY_KEY.keySet());
    }

    /** The Java type a key binds to ({@code int}, {@code double}, {@code boolean} or an enum). */
    public static Class<?> type(String key) {
        RecordComponent component = BY_KEY.get(key);
        if (component == null) {
            throw new IllegalArgumentException("no model key " + key);
        }
        return component.getType();
    }

    /** The key of a component: {@code dModel} is {@code d_model}. */
    public static String key(String component) {
        return component.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** The model of {@code defaults.yaml}: a decoder, vocabulary not yet known. */
    public static ModelConfig defaults() {
        return DEFAULT_CONFIG;
    }

    /**
     * The model a {@code model} section describes, its vocabulary not yet known (0). Every key must be
     * present (a loader merges the section onto the defaults first); an error names the key.
     *
     * @throws IllegalArgumentException a value of the wrong type or out of range, naming its key
     */
    public static ModelConfig bind(JsonNode section, ModelType type) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("type", type);
        values.put("vocabSize", 0);
        for (Map.Entry<String, RecordComponent> entry : BY_KEY.entrySet()) {
            String key = "model." + entry.getKey();
            JsonNode node = section.path(entry.getKey());
            if (node.isMissingNode()) {
                throw new IllegalArgumentException(key + ": missing");
            }
            values.put(entry.getValue().getName(), read(entry.getValue().getType(), key, node));
        }
        return construct(values);
    }

    /** Every key with {@code model}'s value, as {@code defaults.yaml} spells them: {@link #bind} reads it back. */
    public static ObjectNode tree(ModelConfig model) {
        ObjectNode section = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, RecordComponent> entry : BY_KEY.entrySet()) {
            Object value = value(entry.getValue(), model);
            if (value instanceof Integer i) {
                section.put(entry.getKey(), i);
            } else if (value instanceof Double d) {
                section.put(entry.getKey(), d);
            } else if (value instanceof Boolean b) {
                section.put(entry.getKey(), b);
            } else if (value instanceof Enum<?> e) {
                section.put(entry.getKey(), e.toString());
            } else {
                section.set(entry.getKey(), (JsonNode) invoke(value.getClass(), "toJson", value));
            }
        }
        return section;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object read(Class<?> type, String key, JsonNode node) {
        if (type == int.class) {
            return JsonValues.integer(key, node);
        } else if (type == double.class) {
            return JsonValues.number(key, node);
        } else if (type == boolean.class) {
            return JsonValues.bool(key, node);
        } else if (type.isEnum()) {
            return EnumNames.parse((Class) type, key, JsonValues.text(key, node));
        }
        return invoke(type, "parse", null, key, node);
    }

    /** A value type's {@code parse(String, JsonNode)} or {@code toJson()}; its own errors pass through. */
    private static Object invoke(Class<?> type, String method, Object target, Object... arguments) {
        Class<?>[] types = arguments.length == 0 ? new Class<?>[0] : new Class<?>[] {String.class, JsonNode.class};
        try {
            return type.getMethod(method, types).invoke(target, arguments);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ModelConfig's " + type.getSimpleName() + " needs " + method, e);
        }
    }

    /** Component name to value. */
    static Map<String, Object> values(ModelConfig model) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (RecordComponent component : COMPONENTS) {
            values.put(component.getName(), value(component, model));
        }
        return values;
    }

    /** The record from component name to value; the record's own checks run, naming keys. */
    static ModelConfig construct(Map<String, Object> values) {
        Object[] arguments = new Object[COMPONENTS.length];
        for (int i = 0; i < COMPONENTS.length; i++) {
            arguments[i] = values.get(COMPONENTS[i].getName());
        }
        try {
            return CANONICAL.newInstance(arguments);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isComponent(String name) {
        return Arrays.stream(COMPONENTS).anyMatch(c -> c.getName().equals(name));
    }

    private static Object value(RecordComponent component, ModelConfig model) {
        try {
            return component.getAccessor().invoke(model);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Constructor<ModelConfig> canonical() {
        Class<?>[] types = Arrays.stream(COMPONENTS).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            return ModelConfig.class.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode readDefaults() {
        try (InputStream in = ModelKeys.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULTS_RESOURCE + " is not on the class path");
            }
            return (ObjectNode) new YAMLMapper().readTree(in).get("model");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
