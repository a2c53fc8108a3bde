package dev.tlab.dataset;

import dev.tlab.tokenize.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** One token per UTF-8 byte, plus a separator id: tokens that are easy to predict from the text. */
final class ByteTokenizer implements Tokenizer {

    private final int vocabSize;
    private final int separator;
    private final String variant;

    /** 256 byte ids and the separator 256. */
    ByteTokenizer() {
        this(257, 256, "");
    }

    /** @param variant changes the fingerprint only, as a retrained tokenizer would */
    ByteTokenizer(int vocabSize, int separator, String variant) {
        this.vocabSize = vocabSize;
        this.separator = separator;
        this.variant = variant;
    }

    @Override
    public String kind() {
        return "bytes";
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id < 256) {
                bytes[n++] = (byte) id;
            }
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public int documentSeparator() {
        return separator;
    }

    @Override
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("bytes:" + vocabSize + ":" + separator + ":" + variant).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void save(Path dir) {
        try {
            Files.writeString(dir.resolve(FILE), "{\"kind\": \"bytes\", \"vocab_size\": " + vocabSize + ", \"separator\": "
                    + separator + "}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What preparing {@code documents} must give: each encoded, the separator between them. */
    int[] join(String... documents) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        for (int d = 0; d < documents.length; d++) {
            if (d > 0 && separator >= 0) {
                ids.add(separator);
            }
            for (int id : encode(documents[d])) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
