package dev.tlab.files;

import dev.tlab.errors.ConfigException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Where a command is told to write (a folder to create, a file to write), checked before any work:
 * a path that is the wrong kind of thing, or lies under a file, is one line naming the flag.
 */
public final class OutputPath {

    private OutputPath() {}

    /** {@code dir} is a folder, or can be created as one. */
    public static void requireDirectory(String flag, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException(flag + ": " + dir + " is a file; give a folder (it is created if missing)");
        }
        requireCreatable(flag, dir);
    }

    /** {@code file} is a file, or can be created as one (its missing folders too). */
    public static void requireFile(String flag, Path file) {
        if (Files.isDirectory(file)) {
            throw new ConfigException(flag + ": " + file + " is a folder; give a file name");
        }
        requireCreatable(flag, file);
    }

    private static void requireCreatable(String flag, Path path) {
        Path ancestor = path.toAbsolutePath().getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor != null && !Files.isDirectory(ancestor)) {
            throw new ConfigException(flag + ": cannot create " + path + ": " + ancestor + " is a file, not a folder");
        }
    }

    /** An I/O error as the few words a one-line message needs: what the file system said about which path. */
    public static String reason(IOException e) {
        String file = e instanceof FileSystemException fs && fs.getFile() != null ? fs.getFile() + ": " : "";
        if (e instanceof AccessDeniedException) {
            return file + "permission denied";
        } else if (e instanceof FileAlreadyExistsException) {
            return file + "already exists";
        } else if (e instanceof NoSuchFileException) {
            return file + "no such file or folder";
        } else if (e instanceof NotDirectoryException) {
            return file + "not a folder";
        } else if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return file + fs.getReason();
        }
        return String.valueOf(e.getMessage()).replace('\n', ' ');
    }
}
