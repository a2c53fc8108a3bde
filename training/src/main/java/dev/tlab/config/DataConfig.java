package dev.tlab.config;

import java.nio.file.Path;

/** Where the corpus is and how it is cut. {@code path} is already resolved. */
public record DataConfig(Path path, String tokenizer, double valFraction) {

    public DataConfig {
        if (!tokenizer.equals("char")) {
            throw new ConfigException("data.tokenizer: unknown value '" + tokenizer + "'; allowed: char");
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new ConfigException("data.val_fraction must be in (0, 1), got " + valFraction);
        }
    }
}
