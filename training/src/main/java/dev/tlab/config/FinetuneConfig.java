package dev.tlab.config;

import dev.tlab.errors.ConfigException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How {@code tlab finetune} starts from a checkpoint.
 *
 * @param freeze parameter name globs ({@code *} matches any run of characters, dots included)
 *     whose tensors stay fixed; applies to any run that sets it
 * @param vocab what to do when the data has characters the checkpoint's vocabulary lacks
 * @param resumeOptimizer load the checkpoint's AdamW moments and step count instead of starting fresh
 */
public record FinetuneConfig(List<String> freeze, VocabPolicy vocab, boolean resumeOptimizer) {

    /** New characters: add rows for them (old rows kept) or refuse. */
    public enum VocabPolicy {
        EXTEND,
        REJECT;

        public static VocabPolicy parse(String value) {
            for (VocabPolicy p : values()) {
                if (p.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return p;
                }
            }
            throw new ConfigException("finetune.vocab: unknown value '" + value + "'; allowed: extend, reject");
        }
    }

    public FinetuneConfig {
        freeze = List.copyOf(freeze);
        for (String glob : freeze) {
            if (glob.isBlank()) {
                throw new ConfigException("finetune.freeze: empty pattern");
            }
        }
    }

    /** {@code *} matches any characters, {@code ?} one; everything else is literal. */
    public static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
