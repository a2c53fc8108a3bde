package dev.tlab.config;

import dev.tlab.data.DataTask;
import java.nio.file.Path;

/**
 * What the model learns and from what. {@code path} (already resolved) is the corpus of the
 * {@code lm} and {@code mlm} tasks; the synthetic seq2seq tasks generate their own problems.
 *
 * @param maskFraction share of positions an {@code mlm} batch hides
 * @param minLength shortest synthetic problem (characters, or digits per number for {@code add})
 * @param maxLength longest synthetic problem
 */
public record DataConfig(Path path, String tokenizer, double valFraction, DataTask task, double maskFraction,
        int minLength, int maxLength) {

    public DataConfig {
        if (!tokenizer.equals("char")) {
            throw new ConfigException("data.tokenizer: unknown value '" + tokenizer + "'; allowed: char");
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new ConfigException("data.val_fraction must be in (0, 1), got " + valFraction);
        }
        if (!(maskFraction > 0 && maskFraction < 1)) {
            throw new ConfigException("data.mask_fraction must be in (0, 1), got " + maskFraction);
        }
        if (minLength < 1 || maxLength < minLength) {
            throw new ConfigException("data.min_length must be >= 1 and data.max_length >= data.min_length, got "
                    + minLength + " and " + maxLength);
        }
    }
}
