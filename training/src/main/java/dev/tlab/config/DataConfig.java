package dev.tlab.config;

import dev.tlab.data.DataTask;
import dev.tlab.errors.ConfigException;
import dev.tlab.util.EnumNames;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;

/**
 * What the model learns and from what. {@code path} (already resolved) is the corpus of the
 * {@code lm} and {@code mlm} tasks: a text file, a directory, a glob or JSON Lines, read into
 * memory for {@code char} and prepared into token shards for the BPE tokenizers. The synthetic
 * seq2seq tasks generate their own problems.
 *
 * @param tokenizer char, gpt2, bpe or hf
 * @param vocabSize tokens a {@code bpe} tokenizer is trained to
 * @param tokenizerFile the {@code hf} tokenizer's tokenizer.json (null otherwise)
 * @param newlines whether CRLF and lone CR are read as LF
 * @param textField the field of a JSON Lines record holding its text
 * @param valPath a separate validation source, or null for the tail of {@code path}
 * @param cache where prepared shards go, or null for beside {@code path}
 * @param maskFraction share of positions an {@code mlm} batch hides
 * @param minLength shortest synthetic problem (characters, or digits per number for {@code add})
 * @param maxLength longest synthetic problem
 * @param format whether {@code path} is a corpus or chat and instruction examples (JSON Lines)
 * @param chatTemplate chat: a .jinja file or tokenizer_config.json, or null for the one beside the
 *     tokenizer file, else the default
 * @param lossOn chat: which tokens the loss counts
 * @param overlong chat: what happens to an example longer than a window
 * @param packing chat: several examples per window, or one
 * @param encoding the character set the source files are written in
 * @param onBadFile what a source file that is empty or not text in {@code encoding} does
 */
public record DataConfig(Path path, String tokenizer, int vocabSize, Path tokenizerFile, Newlines newlines,
        String textField, Path valPath, Path cache, double valFraction, DataTask task, double maskFraction,
        int minLength, int maxLength, ChatOptions.Format format, Path chatTemplate, ChatOptions.LossOn lossOn,
        ChatOptions.Overlong overlong, ChatOptions.Packing packing, Charset encoding, OnBadFile onBadFile) {

    public static final List<String> TOKENIZERS = List.of("char", "gpt2", "bpe", "hf");

    /** A byte-level BPE holds every byte and the end-of-text token before it learns a merge. */
    public static final int MIN_BPE_VOCABULARY = 257;

    /** How line breaks are read. */
    public enum Newlines {
        KEEP, LF;

        public static Newlines parse(String value) {
            return EnumNames.parse(Newlines.class, "data.newlines", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a source file that cannot be read as text does: stop the run, or be left out (and listed). */
    public enum OnBadFile {
        FAIL, SKIP;

        public static OnBadFile parse(String value) {
            return EnumNames.parse(OnBadFile.class, "data.on_bad_file", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A charset Java knows that writes ASCII as ASCII (files are cut at line breaks before decoding,
     * so UTF-16 and UTF-32 cannot be read in pieces).
     */
    public static Charset encoding(String name) {
        Charset charset;
        try {
            charset = Charset.forName(name.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("data.encoding: unknown character set '" + name
                    + "'; give a name Java knows, e.g. UTF-8, ISO-8859-1 or windows-1252");
        }
        byte[] ascii = "\n a".getBytes(charset);
        if (!java.util.Arrays.equals(ascii, new byte[] {'\n', ' ', 'a'})) {
            throw new ConfigException("data.encoding: " + charset.name() + " does not write ASCII as single bytes; give"
                    + " UTF-8, ISO-8859-1, windows-1252 or another ASCII-compatible character set");
        }
        return charset;
    }

    public DataConfig {
        if (!TOKENIZERS.contains(tokenizer)) {
            throw new ConfigException("data.tokenizer: unknown value '" + tokenizer + "'; allowed: "
                    + String.join(", ", TOKENIZERS));
        }
        if (tokenizer.equals("bpe") && vocabSize < MIN_BPE_VOCABULARY) {
            throw new ConfigException("data.vocab_size must be >= " + MIN_BPE_VOCABULARY + " for data.tokenizer = bpe (256 bytes"
                    + " and the end-of-text token, before any merge), got " + vocabSize);
        }
        if (tokenizer.equals("hf") && tokenizerFile == null) {
            throw new ConfigException("data.tokenizer = hf needs data.tokenizer_file: the path of a tokenizer.json");
        }
        if (!tokenizer.equals("char") && task != DataTask.LM) {
            throw new ConfigException("data.tokenizer = " + tokenizer + " needs data.task = lm; " + task
                    + " trains on characters (data.tokenizer = char)");
        }
        if (isChat() && task != DataTask.LM) {
            throw new ConfigException("data.format = chat needs data.task = lm (a decoder learns the answers), got " + task);
        }
        if (isChat() && tokenizer.equals("bpe")) {
            throw new ConfigException("data.format = chat takes data.tokenizer char, gpt2 or hf; bpe learns its merges"
                    + " from a text corpus (train one with data.format: text, then fine-tune from it)");
        }
        if (textField.isBlank()) {
            throw new ConfigException("data.text_field must name a field of the JSON Lines records, got ''");
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

    /** Whether {@code path} holds chat or instruction examples ({@code data.format: chat}). */
    public boolean isChat() {
        return format == ChatOptions.Format.CHAT;
    }

    /** Whether the data goes through prepared token shards (a text corpus, any tokenizer but char). */
    public boolean prepared() {
        return !tokenizer.equals("char") && !isChat();
    }
}
