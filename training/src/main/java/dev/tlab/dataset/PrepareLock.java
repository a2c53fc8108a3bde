package dev.tlab.dataset;

import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock one prepare holds on an output directory, in {@code .<output>.lock} beside it: a second
 * prepare of the same directory (another process, or another thread of this one) waits, saying
 * so, and then finds the shards the first one wrote. The empty lock file stays (hidden): deleting it
 * would let a third prepare lock a new file while a second still holds the old one.
 */
final class PrepareLock implements AutoCloseable {

    /** How often a waiting prepare tries again; a file lock cannot be waited on across threads of one JVM. */
    private static final long POLL_MILLIS = 200;

    private final FileChannel channel;
    private final FileLock lock;

    private PrepareLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static Path file(Path output) {
        return output.resolveSibling("." + output.getFileName() + ".lock");
    }

    /** Takes the lock of {@code output}, waiting (and saying so once) while another prepare holds it. */
    static PrepareLock acquire(Path output, PrepareListener listener) {
        Path file = file(output);
        FileChannel channel = null;
        try {
            Files.createDirectories(output.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            boolean said = false;
            while (true) {
                FileLock lock = tryLock(channel);
                if (lock != null) {
                    return new PrepareLock(channel, lock);
                }
                if (!said) {
                    listener.message("waiting: another tlab prepare is writing " + output + " (it holds " + file
                            + "); this one goes on when it finishes");
                    said = true;
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException e) {
            close(channel);
            throw new ConfigException(file + ": cannot lock the prepared data directory (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            close(channel);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + file, e);
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by another thread of this JVM
        }
    }

    private static void close(FileChannel channel) {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing was locked
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        close(channel);
    }
}
