package dev.tlab.optim;

import ai.djl.nn.Parameter;
import dev.tlab.config.FinetuneConfig;
import dev.tlab.errors.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Keeps parameters fixed by name glob. A frozen tensor stops requiring a gradient, so backward
 * skips it, clipping ignores it, and AdamW (built on the trainable ones only) neither updates nor
 * decays it: it stays bit-identical. With tied embeddings {@code wte.weight} is also the head.
 */
public final class Freeze {

    private Freeze() {}

    /**
     * Freezes the parameters matching any of {@code globs} and returns the others, in order.
     *
     * @throws ConfigException if a glob matches nothing (naming it and some valid names) or
     *     everything would be frozen
     */
    public static Map<String, Parameter> apply(Map<String, Parameter> parameters, List<String> globs) {
        if (globs.isEmpty()) {
            return parameters;
        }
        List<Pattern> patterns = globs.stream().map(FinetuneConfig::glob).toList();
        boolean[] used = new boolean[patterns.size()];
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        for (var entry : parameters.entrySet()) {
            boolean frozen = false;
            for (int i = 0; i < patterns.size(); i++) {
                if (patterns.get(i).matcher(entry.getKey()).matches()) {
                    used[i] = true;
                    frozen = true;
                }
            }
            if (frozen) {
                entry.getValue().getArray().setRequiresGradient(false);
            } else {
                trainable.put(entry.getKey(), entry.getValue());
            }
        }
        List<String> unused = new ArrayList<>();
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                unused.add("'" + globs.get(i) + "'");
            }
        }
        if (!unused.isEmpty()) {
            List<String> names = new ArrayList<>(parameters.keySet());
            throw new ConfigException("finetune.freeze: " + String.join(", ", unused) + " matches no parameter; names are "
                    + String.join(", ", names.subList(0, Math.min(8, names.size()))) + (names.size() > 8 ? ", ..." : "")
                    + " (see tlab inspect)");
        }
        if (trainable.isEmpty()) {
            throw new ConfigException("finetune.freeze " + globs + " freezes every parameter; nothing would train");
        }
        return trainable;
    }
}
