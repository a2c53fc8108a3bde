package dev.tlab.tokenize;

import dev.tlab.errors.ConfigException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * One token per Unicode code point; the vocabulary is the sorted set of code points in the corpus,
 * so an emoji is one token, not two UTF-16 halves. Checkpoints store the vocabulary as code points
 * (ints), which every JSON reader sees as one entry per row.
 */
public final class CharTokenizer implements Tokenizer {

    public static final String KIND = "char";

    private final int[] symbols;
    private final Map<Integer, Integer> idOfSymbol;
    /** Direct lookup for the common case (Latin, punctuation); the map covers the rest. */
    private final int[] idOfSmallSymbol = new int[0x3000];

    /** @param symbols every token's code point, in id order, no repeats */
    public CharTokenizer(int[] symbols) {
        if (symbols.length == 0) {
            throw new ConfigException("tokenizer vocabulary is empty");
        }
        this.symbols = symbols.clone();
        this.idOfSymbol = new HashMap<>();
        java.util.Arrays.fill(idOfSmallSymbol, -1);
        for (int id = 0; id < symbols.length; id++) {
            if (idOfSymbol.put(symbols[id], id) != null) {
                throw new ConfigException("tokenizer vocabulary repeats the character " + printable(symbols[id]));
            }
            if (symbols[id] >= 0 && symbols[id] < idOfSmallSymbol.length) {
                idOfSmallSymbol[symbols[id]] = id;
            }
        }
    }

    /** The code points of {@code symbols}, in order. */
    public CharTokenizer(String symbols) {
        this(symbols.codePoints().toArray());
    }

    public static CharTokenizer fit(String text) {
        return new CharTokenizer(text.codePoints().distinct().sorted().toArray());
    }

    /**
     * {@code base}'s code points with their ids unchanged, then those of {@code text} that {@code
     * base} lacks, sorted: how a fine-tune or resume keeps a checkpoint's ids.
     */
    public static CharTokenizer extend(int[] base, String text) {
        java.util.Set<Integer> known = new java.util.HashSet<>();
        for (int symbol : base) {
            known.add(symbol);
        }
        int[] added = text.codePoints().distinct().sorted().filter(c -> !known.contains(c)).toArray();
        int[] all = java.util.Arrays.copyOf(base, base.length + added.length);
        System.arraycopy(added, 0, all, base.length, added.length);
        return new CharTokenizer(all);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public int[] encode(String text) {
        int[] ids = new int[text.codePointCount(0, text.length())];
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int id = idOf(c);
            if (id < 0) {
                throw new ConfigException(
                        "character " + printable(c) + " at index " + i + " is not in the vocabulary");
            }
            ids[n++] = id;
            i += Character.charCount(c);
        }
        return ids;
    }

    /** The id of code point {@code c}, or -1. */
    public int idOf(int c) {
        if (c >= 0 && c < idOfSmallSymbol.length) {
            return idOfSmallSymbol[c];
        }
        Integer id = idOfSymbol.get(c);
        return id == null ? -1 : id;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length);
        for (int id : ids) {
            text.appendCodePoint(symbols[id]);
        }
        return text.toString();
    }

    @Override
    public int vocabSize() {
        return symbols.length;
    }

    /** The code points in id order: all a checkpoint needs to rebuild this tokenizer. */
    public int[] symbols() {
        return symbols.clone();
    }

    /** {@link #symbols} as text, for messages and tests. */
    public String vocab() {
        StringBuilder text = new StringBuilder();
        for (int symbol : symbols) {
            text.appendCodePoint(symbol);
        }
        return text.toString();
    }

    @Override
    public int documentSeparator() {
        return -1;
    }

    @Override
    public String fingerprint() {
        ByteBuffer bytes = ByteBuffer.allocate(4 * symbols.length);
        for (int symbol : symbols) {
            bytes.putInt(symbol);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Nothing to write: {@code state.json} carries the vocabulary. */
    @Override
    public void save(Path dir) {}

    /** A code point as a message shows it: the character and its number, or only the number for controls. */
    public static String printable(int c) {
        return Character.isISOControl(c) || !Character.isDefined(c) || Character.isSurrogate((char) c) && c <= 0xFFFF
                ? String.format("U+%04X", c) : "'" + new String(Character.toChars(c)) + "' (" + String.format("U+%04X", c) + ")";
    }
}
