package dev.tlab.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything besides the source files and the tokenizer that decides prepared tokens: a change to
 * any of these prepares again.
 *
 * @param path the training source as given ({@code data.path})
 * @param textField the JSON Lines text field, or null
 * @param valFraction the held-out tail of the training tokens, or null when {@code valPath} is set
 * @param valPath the validation source as given ({@code data.val_path}), or null
 * @param transform the name of the text transform applied before encoding
 * @param separator the token between documents, or -1 for none
 * @param shardTokens the most tokens one shard file holds
 * @param pieceBytes the size long files are read (and so encoded) in
 * @param encoding the source files' character set ({@code data.encoding})
 */
public record PrepareSettings(String path, String textField, Double valFraction, String valPath, String transform,
        int separator, long shardTokens, int pieceBytes, String encoding) {

    /** {@code name: old -> new} for each setting that differs from {@code before}. */
    public List<String> changesFrom(PrepareSettings before) {
        List<String> changes = new ArrayList<>();
        change(changes, "path", before.path, path);
        change(changes, "text_field", before.textField, textField);
        change(changes, "val_fraction", before.valFraction, valFraction);
        change(changes, "val_path", before.valPath, valPath);
        change(changes, "transform", before.transform, transform);
        change(changes, "separator", before.separator, separator);
        change(changes, "shard_tokens", before.shardTokens, shardTokens);
        change(changes, "piece_bytes", before.pieceBytes, pieceBytes);
        change(changes, "encoding", before.encoding, encoding);
        return changes;
    }

    private static void change(List<String> changes, String name, Object before, Object now) {
        if (!Objects.equals(before, now)) {
            changes.add(name + ": " + before + " -> " + now);
        }
    }
}
