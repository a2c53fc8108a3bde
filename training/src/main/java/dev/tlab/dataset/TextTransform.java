package dev.tlab.dataset;

import java.util.function.UnaryOperator;

/**
 * A change made to each piece of text before it is encoded. The name is recorded in meta.json and
 * is part of what decides reuse, so two transforms must never share a name. Texts reach it in
 * pieces that end at line breaks, so a transform must work line by line (as CRLF to LF does).
 */
public record TextTransform(String name, UnaryOperator<String> apply) {

    public static final TextTransform NONE = new TextTransform("none", UnaryOperator.identity());

    /**
     * {@code data.newlines: lf}: Windows (CRLF) and old Mac (CR) line ends to LF, so the same text
     * tokenizes alike whichever system saved it.
     */
    public static final TextTransform LF = new TextTransform("lf", text -> text.replace("\r\n", "\n").replace('\r', '\n'));
}
