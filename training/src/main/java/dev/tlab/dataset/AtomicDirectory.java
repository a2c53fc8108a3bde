package dev.tlab.dataset;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A directory built under {@code <name>.preparing} and renamed into place only when complete, so an
 * interrupted prepare never leaves anything that looks prepared.
 */
final class AtomicDirectory {

    private AtomicDirectory() {}

    /** A fresh, empty {@code <target>.preparing} beside {@code target} (same file system, so the rename is atomic). */
    static Path freshTemp(Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".preparing");
        Files.createDirectories(target.getParent());
        deleteTree(tmp);
        Files.createDirectories(tmp);
        return tmp;
    }

    /** Renames the finished {@code tmp} to {@code target}; an old {@code target} is set aside first, then deleted. */
    static void publish(Path tmp, Path target) throws IOException {
        syncDirectory(tmp);
        if (Files.exists(target)) {
            Path old = target.resolveSibling(target.getFileName() + ".old");
            deleteTree(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(target.getParent());
            deleteTree(old);
        } else {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(target.getParent());
        }
    }

    /** Writes a new file and fsyncs it. */
    static void writeSynced(Path file, String text) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
    }

    /** Makes renames and new entries durable; not possible on every platform, so best effort. */
    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open directories; the rename itself is still atomic there.
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
