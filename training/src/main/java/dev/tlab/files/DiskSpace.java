package dev.tlab.files;

import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A full disk, told as one line: which file could not be written, how much it needs and how much
 * is free there. The file system says it only in its message (ENOSPC has no exception type of its own).
 */
public final class DiskSpace {

    private DiskSpace() {}

    /** Whether {@code e} or one of its causes is the file system running out of space. */
    public static boolean isFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof IOException && message != null && (message.contains("No space left on device")
                    || message.contains("not enough space on the disk") || message.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** Bytes free for this user where {@code path} is (or would be): -1 if that cannot be told. */
    public static long usable(Path path) {
        Path at = path.toAbsolutePath();
        while (at != null && !Files.exists(at)) {
            at = at.getParent();
        }
        try {
            return at == null ? -1 : Files.getFileStore(at).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The file {@code e} (or a cause) names, or null. */
    public static Path fileOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FileSystemException fs && fs.getFile() != null) {
                return Path.of(fs.getFile());
            }
        }
        return null;
    }

    /**
     * The one line for writing {@code path} that ran out of space.
     *
     * @param needed bytes the write needs in all, or -1 when that is not known
     * @param after what still holds, said after the figures (e.g. which checkpoint is intact), or empty
     */
    public static ConfigException full(Path path, long needed, String after, Throwable cause) {
        long free = usable(path);
        String figures = needed >= 0 ? "it needs about " + size(needed) + (free >= 0 ? ", " + size(free) + " free there" : "")
                : free >= 0 ? size(free) + " free there" : "";
        return new ConfigException("no space left on device writing " + path + (figures.isEmpty() ? "" : " (" + figures + ")")
                + "; free some space or choose another directory" + (after.isEmpty() ? "" : "; " + after), cause);
    }

    /** Bytes as kB, MB or GB, with three figures. */
    public static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " bytes";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes / 1000.0;
        int unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }
}
