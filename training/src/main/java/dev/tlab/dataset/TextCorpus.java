package dev.tlab.dataset;

import dev.tlab.config.DataConfig;
import java.nio.file.Path;

/**
 * The whole text of {@code data.path} in memory, for the {@code char} tokenizer: a file, a folder
 * or a glob (one document per file, in path order) or JSON Lines (one document per record), read
 * as {@link TextSources} reads them for the BPE tokenizers, in {@code data.encoding}, with
 * {@code data.on_bad_file}. Documents follow one another, each ending in a line break.
 */
public final class TextCorpus {

    private static final int PIECE_BYTES = 1 << 20;

    private TextCorpus() {}

    /** @param listener hears which files {@code data.on_bad_file: skip} left out */
    public static String read(DataConfig data, PrepareListener listener) {
        TextSources sources = TextSources.resolve("data.path", data.path().toString(), Path.of(""), data.textField(),
                data.encoding(), data.onBadFile());
        if (!sources.skipped().isEmpty()) {
            listener.message(DataPreparation.skippedNote(sources));
        }
        StringBuilder text = new StringBuilder();
        sources.read(PIECE_BYTES, chunk -> {
            for (TextChunk.Piece piece : chunk.pieces()) {
                if (piece.startsDocument() && !text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
                    text.append('\n');
                }
                text.append(piece.text());
            }
        });
        String all = text.toString();
        return data.newlines() == DataConfig.Newlines.LF ? all.replace("\r\n", "\n").replace('\r', '\n') : all;
    }
}
