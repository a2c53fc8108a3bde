package dev.tlab.files;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Files that survive a crash: each is written, flushed and fsynced while its size and SHA-256
 * are taken, and a directory is built under a temporary name and renamed into place only once
 * everything in it is durable.
 */
public final class DurableFiles {

    private DurableFiles() {}

    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes, flushes and fsyncs a new file; returns its size and SHA-256. */
    public static FileDigest writeSynced(Path file, Writer writer) throws IOException {
        MessageDigest digest = newDigest();
        long[] bytes = {0};
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream counted = new FilterOutputStream(Channels.newOutputStream(channel)) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    bytes[0] += len;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    bytes[0]++;
                }

                @Override
                public void close() throws IOException {
                    flush(); // writers may close what they are given; the channel closes below
                }
            };
            var buffered = new BufferedOutputStream(new DigestOutputStream(counted, digest), 1 << 16) {
                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            writer.write(buffered);
            buffered.flush();
            channel.force(true);
        }
        return new FileDigest(bytes[0], HexFormat.of().formatHex(digest.digest()));
    }

    /** A fresh, empty {@code <target>.tmp} directory to build {@code target} in. */
    public static Path freshTemp(Path target) throws IOException {
        return freshTemp(target, ".tmp");
    }

    /** A fresh, empty {@code <target><suffix>} directory beside {@code target} (same file system, so the rename is atomic). */
    public static Path freshTemp(Path target, String suffix) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + suffix);
        Files.createDirectories(target.getParent());
        deleteTree(tmp);
        Files.createDirectories(tmp);
        return tmp;
    }

    /**
     * Renames the finished {@code tmp} to {@code target}, replacing one of that name only once the
     * new one is in place (the old one is moved to {@code <target>.old}, then deleted).
     */
    public static void publish(Path tmp, Path target) throws IOException {
        syncDirectory(tmp);
        Path parent = target.getParent();
        if (Files.exists(target)) {
            Path old = target.resolveSibling(target.getFileName() + ".old");
            deleteTree(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(parent);
            deleteTree(old);
        } else {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(parent);
        }
    }

    /** Makes renames and new entries durable; not possible on every platform, so best effort. */
    public static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open directories; the rename itself is still atomic there.
        }
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
