package dev.tlab.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.errors.ConfigException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Source bytes in reading order, as handed to an encoding thread: decoding (strict UTF-8) and JSON
 * parsing happen there, off the reading thread.
 *
 * @param key the config key of the source, named in errors
 * @param textField the JSON Lines field holding a document's text
 * @param encoding the files' character set ({@code data.encoding})
 * @param sourceBytes the file bytes this chunk accounts for (a skipped byte-order mark included)
 */
record TextChunk(String key, String textField, Charset encoding, List<Segment> segments, long sourceBytes) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Consecutive bytes of one file.
     *
     * @param byteOffset where {@code bytes} start in the file
     * @param firstLine the line number {@code bytes} start on
     * @param startsDocument whether these are a text file's first bytes
     */
    record Segment(Path file, boolean jsonLines, long byteOffset, long firstLine, byte[] bytes, boolean startsDocument) {}

    /** Text to encode; {@code startsDocument} where a new document begins (a separator goes before it). */
    record Piece(String text, boolean startsDocument) {}

    List<Piece> pieces() {
        List<Piece> pieces = new ArrayList<>();
        for (Segment segment : segments) {
            String text = decode(segment);
            if (segment.jsonLines()) {
                documents(segment, text, pieces);
            } else {
                pieces.add(new Piece(text, segment.startsDocument()));
            }
        }
        return pieces;
    }

    private String decode(Segment segment) {
        CharsetDecoder decoder = encoding.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(segment.bytes());
        // ASCII-compatible character sets (DataConfig.encoding) never have fewer bytes than UTF-16 chars.
        CharBuffer out = CharBuffer.allocate(segment.bytes().length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new ConfigException(key + ": " + segment.file() + " is not " + encoding.name() + " text: bad byte sequence"
                    + " at byte offset " + (segment.byteOffset() + in.position()) + "; if it is written in another character"
                    + " set, set data.encoding (e.g. ISO-8859-1 or windows-1252), or data.on_bad_file: skip to leave such files out");
        }
        return out.flip().toString();
    }

    /** One document per non-blank line. */
    private void documents(Segment segment, String text, List<Piece> pieces) {
        long line = segment.firstLine();
        for (int from = 0; from < text.length(); line++) {
            int newline = text.indexOf('\n', from);
            int to = newline < 0 ? text.length() : newline;
            String json = text.substring(from, to > from && text.charAt(to - 1) == '\r' ? to - 1 : to);
            if (!json.isBlank()) {
                pieces.add(new Piece(documentText(segment.file(), line, json), true));
            }
            from = to + 1;
        }
    }

    private String documentText(Path file, long line, String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(key + ": " + file + " line " + line + " is not JSON ("
                    + e.getOriginalMessage().replace('\n', ' ') + "); allowed: one JSON object per line");
        }
        if (!node.isObject()) {
            throw new ConfigException(key + ": " + file + " line " + line + " is a JSON "
                    + node.getNodeType().name().toLowerCase(Locale.ROOT) + ", not an object; allowed: one JSON object per line");
        }
        JsonNode field = node.get(textField);
        if (field == null) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            throw new ConfigException("data.text_field: " + file + " line " + line + " has no field '" + textField
                    + "' (its fields: " + String.join(", ", names) + "); set data.text_field to the field holding the text");
        }
        if (!field.isTextual()) {
            throw new ConfigException("data.text_field: " + file + " line " + line + ": field '" + textField + "' is a "
                    + field.getNodeType().name().toLowerCase(Locale.ROOT) + "; allowed: a string");
        }
        return field.textValue();
    }
}
