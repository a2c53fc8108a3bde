package dev.tlab.tokenize;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * GPT-2's tokenizer ({@code data.tokenizer: gpt2}): byte-level BPE with 50,257 tokens, the ids of
 * tiktoken's {@code gpt2} encoding, through JTokkit's {@code r50k_base} (whose ranks ship in its jar,
 * so nothing is downloaded).
 *
 * <p>{@code <|endoftext|>} in the text encodes as the separator 50256, as tiktoken's
 * {@code encode(text, allowed_special="all")} does, so a corpus that already marks its documents
 * keeps the marks. (JTokkit's {@code encode} refuses such text and {@code encodeOrdinary} spells the
 * marker out as ordinary text, so the text is cut at the marker here.)
 */
public final class Gpt2Tokenizer implements Tokenizer {

    public static final int VOCAB_SIZE = 50_257;
    public static final int END_OF_TEXT = 50_256;
    private static final String END_OF_TEXT_TEXT = "<|endoftext|>";
    private static final String RANKS = "/com/knuddels/jtokkit/r50k_base.tiktoken";

    private static final Gpt2Tokenizer INSTANCE = new Gpt2Tokenizer();

    private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    private final String fingerprint = computeFingerprint();

    private Gpt2Tokenizer() {}

    /** The one instance: the encoding is immutable, and loading its ranks takes a moment. */
    public static Gpt2Tokenizer get() {
        return INSTANCE;
    }

    @Override
    public String kind() {
        return "gpt2";
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int documentSeparator() {
        return END_OF_TEXT;
    }

    /** SHA-256 of the encoding's name, its ranks file and the separator's handling. */
    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Writes nothing: everything that decides the ids is in the jar. */
    @Override
    public void save(Path dir) {}

    @Override
    public int[] encode(String text) {
        IntArrayList ids = new IntArrayList(Math.max(16, text.length() / 3));
        int from = 0;
        while (true) {
            int marker = text.indexOf(END_OF_TEXT_TEXT, from);
            int to = marker < 0 ? text.length() : marker;
            if (to > from) {
                IntArrayList piece = encoding.encodeOrdinary(text.substring(from, to));
                for (int i = 0; i < piece.size(); i++) {
                    ids.add(piece.get(i));
                }
            }
            if (marker < 0) {
                return ids.toArray();
            }
            ids.add(END_OF_TEXT);
            from = marker + END_OF_TEXT_TEXT.length();
        }
    }

    @Override
    public String decode(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= VOCAB_SIZE) {
                throw new IllegalArgumentException("token id " + id + " is outside GPT-2's vocabulary 0.." + (VOCAB_SIZE - 1));
            }
            list.add(id);
        }
        return encoding.decode(list);
    }

    private String computeFingerprint() {
        try (InputStream ranks = Encodings.class.getResourceAsStream(RANKS)) {
            if (ranks == null) {
                throw new IllegalStateException("JTokkit's jar has no " + RANKS);
            }
            return new Fingerprint().add("gpt2 " + encoding.getName()).add(ranks.readAllBytes())
                    .add(END_OF_TEXT_TEXT + " " + END_OF_TEXT).hex();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RANKS + " from JTokkit's jar", e);
        }
    }
}
