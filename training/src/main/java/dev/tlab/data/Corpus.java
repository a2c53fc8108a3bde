package dev.tlab.data;

import dev.tlab.config.DataConfig.Newlines;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a UTF-8 text corpus, with errors that name the file. */
public final class Corpus {

    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private Corpus() {}

    /** The file's text as written. */
    public static String read(Path path) {
        return read(path, Newlines.KEEP);
    }

    /**
     * The file's text without a leading byte-order mark (an encoding marker, not text), and with
     * CRLF and lone CR read as LF when {@code newlines} is {@code lf}.
     */
    public static String read(Path path, Newlines newlines) {
        if (!Files.exists(path)) {
            throw new ConfigException("data.path: file not found: " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("data.path: not a regular file: " + path);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ConfigException("data.path: cannot read " + path + ": " + e.getMessage(), e);
        }
        String text = decode(bytes, path);
        if (!text.isEmpty() && text.charAt(0) == BYTE_ORDER_MARK) {
            text = text.substring(1);
        }
        if (newlines == Newlines.LF) {
            text = text.replace("\r\n", "\n").replace('\r', '\n');
        }
        if (text.isEmpty()) {
            throw new ConfigException("data.path: file is empty: " + path);
        }
        return text;
    }

    /** Strict UTF-8; the error gives the byte offset of the first bad sequence. */
    private static String decode(byte[] bytes, Path path) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(in).toString();
        } catch (CharacterCodingException e) {
            // decode() leaves the buffer where it stopped: at the start of the bad sequence.
            throw new ConfigException("data.path: " + path + " is not valid UTF-8 text (invalid byte sequence at byte offset "
                    + firstInvalidByte(bytes) + ")");
        }
    }

    private static long firstInvalidByte(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        decoder.decode(in, out, true);
        return in.position();
    }
}
