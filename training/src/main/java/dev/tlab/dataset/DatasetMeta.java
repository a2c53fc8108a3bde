package dev.tlab.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code meta.json} of a prepared directory: how its shards were made (tokenizer, dtype, settings,
 * source files with SHA-256) and what they hold (per split, each shard with its token count, size and SHA-256).
 */
public record DatasetMeta(int version, TokenizerInfo tokenizer, TokenDtype dtype, PrepareSettings settings, Split train,
        Split val, List<SourceFile> trainSources, List<SourceFile> valSources, List<SkippedFile> skipped) {

    /** A source file left out by {@code data.on_bad_file: skip}, and why. */
    public record SkippedFile(String path, String reason) {}

    public static final String FILE = "meta.json";
    public static final String FORMAT = "tlab token shards";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The tokenizer the ids come from. */
    public record TokenizerInfo(String kind, String fingerprint, int vocabSize) {}

    /** One split's tokens, in order across its shards. */
    public record Split(long tokens, List<Shard> shards) {
        public static Split of(List<Shard> shards) {
            return new Split(shards.stream().mapToLong(Shard::tokens).sum(), List.copyOf(shards));
        }
    }

    /**
     * A shard file (its name inside the prepared directory), its token count, its size in bytes and
     * its SHA-256 (null in a meta.json written before shards were hashed, and while being written).
     */
    public record Shard(String file, long tokens, long bytes, String sha256) {
        public Shard(String file, long tokens, long bytes) {
            this(file, tokens, bytes, null);
        }

        public Shard withSha256(String hash) {
            return new Shard(file, tokens, bytes, hash);
        }
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", version);
        ObjectNode tok = root.putObject("tokenizer");
        tok.put("kind", tokenizer.kind());
        tok.put("fingerprint", tokenizer.fingerprint());
        tok.put("vocab_size", tokenizer.vocabSize());
        root.put("dtype", dtype.label());
        ObjectNode set = root.putObject("settings");
        set.put("path", settings.path());
        set.put("text_field", settings.textField());
        set.put("val_fraction", settings.valFraction());
        set.put("val_path", settings.valPath());
        set.put("transform", settings.transform());
        set.put("separator", settings.separator());
        set.put("shard_tokens", settings.shardTokens());
        set.put("piece_bytes", settings.pieceBytes());
        set.put("encoding", settings.encoding());
        ObjectNode splits = root.putObject("splits");
        splitJson(splits.putObject("train"), train);
        splitJson(splits.putObject("val"), val);
        ObjectNode sources = root.putObject("sources");
        sourcesJson(sources.putArray("train"), trainSources);
        sourcesJson(sources.putArray("val"), valSources);
        ArrayNode left = root.putArray("skipped");
        for (SkippedFile file : skipped) {
            left.addObject().put("path", file.path()).put("reason", file.reason());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void splitJson(ObjectNode node, Split split) {
        node.put("tokens", split.tokens());
        ArrayNode shards = node.putArray("shards");
        for (Shard shard : split.shards()) {
            ObjectNode entry = shards.addObject().put("file", shard.file()).put("tokens", shard.tokens()).put("bytes", shard.bytes());
            if (shard.sha256() != null) {
                entry.put("sha256", shard.sha256());
            }
        }
    }

    private static void sourcesJson(ArrayNode array, List<SourceFile> files) {
        for (SourceFile file : files) {
            array.addObject().put("path", file.path()).put("bytes", file.bytes()).put("sha256", file.sha256());
        }
    }

    /** Reads {@code dir/meta.json}; a missing, foreign or malformed file is a named error. */
    public static DatasetMeta read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": not found; " + dir + " is not prepared token data (run tlab prepare)");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage().replace('\n', ' '), e);
        }
        Fields f = new Fields(file);
        if (!root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
            throw new ConfigException(file + ": not a meta.json of prepared token data (format is not '" + FORMAT + "')");
        }
        int version = f.integer(root, "version");
        if (version != VERSION) {
            throw new ConfigException(file + ": format version " + version + "; this tlab reads version " + VERSION
                    + " (prepare the data again)");
        }
        JsonNode tok = f.object(root, "tokenizer");
        JsonNode set = f.object(root, "settings");
        JsonNode splits = f.object(root, "splits");
        JsonNode sources = f.object(root, "sources");
        JsonNode valFraction = set.get("val_fraction");
        return new DatasetMeta(
                version,
                new TokenizerInfo(f.text(tok, "kind"), f.text(tok, "fingerprint"), f.integer(tok, "vocab_size")),
                TokenDtype.parse(f.text(root, "dtype"), file.toString()),
                new PrepareSettings(
                        f.text(set, "path"),
                        f.textOrNull(set, "text_field"),
                        valFraction == null || valFraction.isNull() ? null : valFraction.asDouble(),
                        f.textOrNull(set, "val_path"),
                        f.text(set, "transform"),
                        f.integer(set, "separator"),
                        f.longValue(set, "shard_tokens"),
                        f.integer(set, "piece_bytes"),
                        // Shards from before data.encoding were read as UTF-8.
                        set.path("encoding").isTextual() ? set.get("encoding").textValue() : "UTF-8"),
                split(f, f.object(splits, "train")),
                split(f, f.object(splits, "val")),
                sourceFiles(f, f.array(sources, "train")),
                sourceFiles(f, f.array(sources, "val")),
                skippedFiles(f, root.path("skipped")));
    }

    private static List<SkippedFile> skippedFiles(Fields f, JsonNode array) {
        List<SkippedFile> files = new ArrayList<>();
        for (JsonNode file : array) {
            files.add(new SkippedFile(f.text(file, "path"), f.text(file, "reason")));
        }
        return List.copyOf(files);
    }

    private static Split split(Fields f, JsonNode node) {
        List<Shard> shards = new ArrayList<>();
        for (JsonNode shard : f.array(node, "shards")) {
            shards.add(new Shard(f.text(shard, "file"), f.longValue(shard, "tokens"), f.longValue(shard, "bytes"),
                    f.textOrNull(shard, "sha256")));
        }
        return new Split(f.longValue(node, "tokens"), List.copyOf(shards));
    }

    private static List<SourceFile> sourceFiles(Fields f, JsonNode array) {
        List<SourceFile> files = new ArrayList<>();
        for (JsonNode file : array) {
            files.add(new SourceFile(f.text(file, "path"), f.longValue(file, "bytes"), f.text(file, "sha256")));
        }
        return List.copyOf(files);
    }

    /** Required fields of meta.json, each missing or mistyped one named. */
    private record Fields(Path file) {
        JsonNode get(JsonNode node, String name, boolean ok) {
            if (!ok) {
                throw new ConfigException(file + ": field '" + name + "' is missing or of the wrong type");
            }
            return node.get(name);
        }

        JsonNode object(JsonNode node, String name) {
            return get(node, name, node.path(name).isObject());
        }

        JsonNode array(JsonNode node, String name) {
            return get(node, name, node.path(name).isArray());
        }

        String text(JsonNode node, String name) {
            return get(node, name, node.path(name).isTextual()).textValue();
        }

        String textOrNull(JsonNode node, String name) {
            return node.path(name).isTextual() ? node.get(name).textValue() : null;
        }

        int integer(JsonNode node, String name) {
            return get(node, name, node.path(name).canConvertToInt() && node.path(name).isIntegralNumber()).intValue();
        }

        long longValue(JsonNode node, String name) {
            return get(node, name, node.path(name).isIntegralNumber() && node.path(name).canConvertToLong()).longValue();
        }
    }
}
