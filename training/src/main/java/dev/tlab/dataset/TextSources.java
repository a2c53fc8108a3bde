package dev.tlab.dataset;

import dev.tlab.config.DataConfig.OnBadFile;
import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The documents of a {@code data.path} (or {@code data.val_path}) value, streamed: a text file is
 * one document; a directory (recursively) or a glob gives one document per file, in sorted path
 * order, hidden files skipped; each line of a {@code .jsonl} file is a document, the text being its
 * {@code data.text_field}. Files are read in pieces of about {@code pieceBytes}, so no corpus is
 * ever held whole.
 */
public final class TextSources {

    private final String key;
    private final String spec;
    private final String textField;
    private final Charset encoding;
    private final List<Path> files;
    private final List<Skipped> skipped;

    /** A source file left out by {@code data.on_bad_file: skip}, and why. */
    public record Skipped(Path file, String reason) {
        @Override
        public String toString() {
            return file + " (" + reason + ")";
        }
    }

    private TextSources(String key, String spec, String textField, Charset encoding, List<Path> files, List<Skipped> skipped) {
        this.key = key;
        this.spec = spec;
        this.textField = textField;
        this.encoding = encoding;
        this.files = files;
        this.skipped = skipped;
    }

    /** {@link #resolve(String, String, Path, String, Charset, OnBadFile)} for UTF-8 files, any bad one an error. */
    public static TextSources resolve(String key, String spec, Path base, String textField) {
        return resolve(key, spec, base, textField, StandardCharsets.UTF_8, OnBadFile.FAIL);
    }

    /**
     * The files {@code spec} names: a file, a directory, or a glob such as {@code data/*.txt}
     * ({@code **} crosses directories), relative paths resolved against {@code base}.
     *
     * @param key the config key {@code spec} came from, named in errors
     * @param textField the JSON Lines field holding a document's text; null if none is configured
     * @param encoding the files' character set ({@code data.encoding})
     * @param onBadFile {@code skip}: files that are empty or not text in {@code encoding} are left out
     *     and listed in {@link #skipped} (found by decoding every file once more, here);
     *     {@code fail}: the first such file is an error, found while it is read
     */
    public static TextSources resolve(String key, String spec, Path base, String textField, Charset encoding,
            OnBadFile onBadFile) {
        List<Path> files = isGlob(spec) ? glob(key, spec, base) : pathOrDirectory(key, base.resolve(spec).toAbsolutePath().normalize());
        List<Path> kept = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Path file : files) {
            String bad = size(key, file) == 0 ? "empty" : onBadFile == OnBadFile.SKIP ? undecodable(key, file, encoding) : null;
            if (bad != null && onBadFile == OnBadFile.SKIP) {
                skipped.add(new Skipped(file, bad));
                continue;
            }
            if (bad != null) {
                throw new ConfigException(key + ": file is empty: " + file
                        + "; every source file must hold text (data.on_bad_file: skip leaves such files out)");
            }
            if (isJsonLines(file) && textField == null) {
                throw new ConfigException("data.text_field: " + file
                        + " is JSON Lines (.jsonl); set data.text_field to the string field that holds each line's text");
            }
            kept.add(file);
        }
        if (kept.isEmpty()) {
            throw new ConfigException(key + ": every file was skipped (data.on_bad_file: skip), none holds " + encoding.name()
                    + " text: " + skipped.get(0) + (skipped.size() > 1 ? " and " + (skipped.size() - 1) + " more" : ""));
        }
        return new TextSources(key, spec, textField, encoding, List.copyOf(kept), List.copyOf(skipped));
    }

    /** Why {@code file} is not text in {@code encoding}, or null if it is; decoded in pieces, never held whole. */
    private static String undecodable(String key, Path file, Charset encoding) {
        CharsetDecoder decoder = encoding.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        CharBuffer out = CharBuffer.allocate(1 << 17);
        long offset = 0; // of in's first byte in the file
        try (InputStream stream = Files.newInputStream(file)) {
            boolean end = false;
            while (!end) {
                int n = stream.read(in.array(), in.position(), in.remaining());
                end = n < 0;
                in.position(in.position() + Math.max(n, 0));
                in.flip();
                CoderResult result = decoder.decode(in, out, end);
                if (result.isError()) {
                    return "not " + encoding.name() + " text: bad byte sequence at byte offset " + (offset + in.position());
                }
                out.clear();
                offset += in.position();
                in.compact();
            }
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        return null;
    }

    /** Files left out by {@code data.on_bad_file: skip}, in path order. */
    public List<Skipped> skipped() {
        return skipped;
    }

    /** The files' character set. */
    public Charset encoding() {
        return encoding;
    }

    /** The config key this source came from, e.g. {@code data.path}. */
    public String key() {
        return key;
    }

    /** The value as given: a path or glob. */
    public String spec() {
        return spec;
    }

    /** The JSON Lines text field, or null. */
    public String textField() {
        return textField;
    }

    /** Absolute paths, in the order their documents are read. */
    public List<Path> files() {
        return files;
    }

    public long totalBytes() {
        return files.stream().mapToLong(file -> size(key, file)).sum();
    }

    /** Each file's current size and SHA-256, read now: what meta.json compares against. */
    public List<SourceFile> hash() {
        List<SourceFile> hashed = new ArrayList<>();
        for (Path file : files) {
            MessageDigest digest = sha256();
            long bytes = 0;
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    bytes += n;
                }
            } catch (IOException e) {
                throw cannotRead(file, e);
            }
            hashed.add(new SourceFile(file.toString(), bytes, HexFormat.of().formatHex(digest.digest())));
        }
        return hashed;
    }

    /** Receives chunks in source order; may block (a bounded queue of work). */
    interface ChunkSink {
        void accept(TextChunk chunk);
    }

    /**
     * Reads every file once, handing {@code sink} chunks of about {@code pieceBytes} (small files
     * are batched, large ones cut), and returns each file's size and SHA-256 as read.
     */
    List<SourceFile> read(int pieceBytes, ChunkSink sink) {
        Batch batch = new Batch(pieceBytes, sink);
        List<SourceFile> read = new ArrayList<>();
        for (Path file : files) {
            read.add(readFile(file, pieceBytes, batch));
        }
        batch.flush();
        return read;
    }

    private SourceFile readFile(Path file, int pieceBytes, Batch batch) {
        boolean jsonLines = isJsonLines(file);
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            byte[] buffer = new byte[pieceBytes];
            int filled = in.readNBytes(buffer, 0, buffer.length);
            long offset = 0; // of buffer[0] in the file
            long line = 1; // of buffer[0], for JSON Lines errors
            int bom = 0;
            if (filled >= 3 && (buffer[0] & 0xFF) == 0xEF && (buffer[1] & 0xFF) == 0xBB && (buffer[2] & 0xFF) == 0xBF) {
                bom = 3;
                offset = 3;
                filled -= 3;
                System.arraycopy(buffer, 3, buffer, 0, filled);
                filled += in.readNBytes(buffer, filled, buffer.length - filled);
            }
            boolean first = true;
            while (filled > 0) {
                // readNBytes fills the buffer unless the file has ended.
                boolean end = filled < buffer.length;
                int cut = end ? filled : jsonLines ? lastNewline(buffer, filled) : textCut(buffer, filled);
                if (cut == 0) { // a JSON line longer than the buffer: it must stay whole
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                    filled += in.readNBytes(buffer, filled, buffer.length - filled);
                    continue;
                }
                byte[] bytes = Arrays.copyOf(buffer, cut);
                batch.add(new TextChunk.Segment(file, jsonLines, offset, line, bytes, first), cut + (first ? bom : 0));
                if (jsonLines) {
                    line += newlines(bytes);
                }
                first = false;
                offset += cut;
                filled -= cut;
                System.arraycopy(buffer, cut, buffer, 0, filled);
                filled += in.readNBytes(buffer, filled, buffer.length - filled);
            }
            return new SourceFile(file.toString(), offset, HexFormat.of().formatHex(digest.digest()));
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /**
     * Where to end a piece of a long text file so that the tokenizer sees no line cut in two: after
     * the last line break that starts an unindented line (in the later half, so pieces stay large),
     * else after any line break, else before a space that starts a word, else before a character;
     * never inside a UTF-8 sequence.
     */
    static int textCut(byte[] b, int length) {
        for (int i = length - 2; i >= length / 2; i--) {
            if (b[i] == '\n' && !isSpace(b[i + 1])) {
                return i + 1;
            }
        }
        for (int i = length - 1; i >= 0; i--) {
            if (b[i] == '\n') {
                return i + 1;
            }
        }
        for (int i = length - 1; i > 0; i--) {
            if (b[i] == ' ' && !isSpace(b[i - 1])) {
                return i;
            }
        }
        for (int i = length - 1; i > 0; i--) {
            if ((b[i] & 0xC0) != 0x80) { // not a continuation byte: a character starts here
                return i;
            }
        }
        return length;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    private static int lastNewline(byte[] b, int length) {
        for (int i = length - 1; i >= 0; i--) {
            if (b[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    private static int newlines(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) {
            n += b == '\n' ? 1 : 0;
        }
        return n;
    }

    /** Collects segments into chunks of at least {@code pieceBytes}, so small documents travel together. */
    private final class Batch {
        private final int pieceBytes;
        private final ChunkSink sink;
        private List<TextChunk.Segment> segments = new ArrayList<>();
        private long sourceBytes;

        Batch(int pieceBytes, ChunkSink sink) {
            this.pieceBytes = pieceBytes;
            this.sink = sink;
        }

        void add(TextChunk.Segment segment, long bytes) {
            segments.add(segment);
            sourceBytes += bytes;
            if (sourceBytes >= pieceBytes) {
                flush();
            }
        }

        void flush() {
            if (!segments.isEmpty()) {
                sink.accept(new TextChunk(key, textField, encoding, segments, sourceBytes));
                segments = new ArrayList<>();
                sourceBytes = 0;
            }
        }
    }

    static boolean isJsonLines(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl");
    }

    private static boolean isGlob(String spec) {
        return spec.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static List<Path> pathOrDirectory(String key, Path path) {
        if (!Files.exists(path)) {
            throw new ConfigException(key + ": file not found: " + path);
        }
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new ConfigException(key + ": " + path + " is neither a regular file nor a directory");
        }
        List<Path> files = walk(key, path, p -> true);
        if (files.isEmpty()) {
            throw new ConfigException(key + ": directory " + path + " holds no files (hidden files are skipped); it must hold text files");
        }
        return files;
    }

    /** The directory part before the first wildcard is walked; the rest is matched against paths below it. */
    private static List<Path> glob(String key, String spec, Path base) {
        String unix = spec.replace('\\', '/');
        int wildcard = 0;
        while ("*?[{".indexOf(unix.charAt(wildcard)) < 0) {
            wildcard++;
        }
        int slash = unix.lastIndexOf('/', wildcard);
        String directory = slash < 0 ? "" : slash == 0 ? "/" : unix.substring(0, slash);
        String pattern = unix.substring(slash + 1);
        Path root = base.resolve(directory).toAbsolutePath().normalize();
        PathMatcher matcher;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": '" + spec + "' is not a valid glob: " + e.getMessage());
        }
        List<Path> files = Files.isDirectory(root) ? walk(key, root, relative -> matcher.matches(relative)) : List.of();
        if (files.isEmpty()) {
            throw new ConfigException(key + ": no file matches the glob '" + spec + "' (in " + base.toAbsolutePath().normalize()
                    + "; hidden files are skipped)");
        }
        return files;
    }

    private interface RelativeFilter {
        boolean accept(Path relative);
    }

    /** Regular files below {@code root} whose path relative to it passes {@code filter}, hidden ones skipped, sorted. */
    private static List<Path> walk(String key, Path root, RelativeFilter filter) {
        List<Path> files = new ArrayList<>();
        try {
            // Links are followed: corpora are often linked in from elsewhere; loops are reported.
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !hidden(file) && filter.accept(root.relativize(file))) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot list " + root + ": " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }

    private static long size(String key, Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private ConfigException cannotRead(Path file, IOException e) {
        return new ConfigException(key + ": cannot read " + file + ": " + e.getMessage(), e);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return key + " " + spec + " (" + files.size() + (files.size() == 1 ? " file)" : " files)");
    }
}
