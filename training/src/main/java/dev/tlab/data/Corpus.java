package dev.tlab.data;

import dev.tlab.config.ConfigException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a UTF-8 text corpus, with errors that name the file. */
public final class Corpus {

    private Corpus() {}

    public static String read(Path path) {
        if (!Files.exists(path)) {
            throw new ConfigException("data.path: file not found: " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("data.path: not a regular file: " + path);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path))).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("data.path: " + path + " is not valid UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException("data.path: cannot read " + path + ": " + e.getMessage(), e);
        }
        if (text.isEmpty()) {
            throw new ConfigException("data.path: file is empty: " + path);
        }
        return text;
    }
}
