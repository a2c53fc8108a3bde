package dev.tlab.data;

import dev.tlab.errors.ConfigException;

/** The first {@code 1 - valFraction} of the tokens train, the rest validate (nanoGPT's split). */
public record TokenSplits(int[] train, int[] val) {

    public static TokenSplits split(int[] tokens, double valFraction) {
        int trainLength = (int) Math.round(tokens.length * (1 - valFraction));
        return new TokenSplits(
                java.util.Arrays.copyOfRange(tokens, 0, trainLength),
                java.util.Arrays.copyOfRange(tokens, trainLength, tokens.length));
    }

    /** Each split must hold at least one window of {@code context} inputs plus its next token. */
    public void requireWindow(int context, String source) {
        int shortest = Math.min(train.length, val.length);
        if (shortest < context + 1) {
            String which = train.length < val.length ? "training" : "validation";
            throw new ConfigException(
                    "model.context ("
                            + context
                            + ") is longer than the data: the "
                            + which
                            + " split of "
                            + source
                            + " has "
                            + shortest
                            + " tokens, and a window needs context + 1 = "
                            + (context + 1)
                            + ". Use a smaller model.context, more data, or another data.val_fraction.");
        }
    }
}
