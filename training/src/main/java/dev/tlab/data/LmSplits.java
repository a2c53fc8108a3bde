package dev.tlab.data;

/**
 * A language model's training and validation tokens, in memory or memory-mapped, with the UTF-8
 * bytes of text the validation tokens stand for (for bits per byte; 0 when unknown).
 */
public record LmSplits(TokenSequence train, TokenSequence val, long valBytes) {

    /**
     * nanoGPT's split of one text held in memory (the first {@code 1 - valFraction} trains, the rest
     * validates), with the bytes of the validation text its tokens decode to.
     */
    public static LmSplits of(TokenSplits splits, dev.tlab.tokenize.Tokenizer tokenizer) {
        long valBytes = tokenizer.decode(splits.val()).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return new LmSplits(TokenSequence.of(splits.train()), TokenSequence.of(splits.val()), valBytes);
    }

    /**
     * Bits per byte of validation text for a mean loss of {@code nats} per token: comparable across
     * tokenizers, where nats per token are not. NaN when the bytes are unknown.
     */
    public double bitsPerByte(double nats) {
        return valBytes <= 0 ? Double.NaN : nats * val.length() / Math.log(2) / valBytes;
    }
}
