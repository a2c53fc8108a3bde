package dev.tlab.metrics.tensorboard;

import dev.tlab.files.DiskSpace;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One process's TensorBoard event file in a run directory, {@code
 * events.out.tfevents.<unix seconds>.<hostname>}: the version record first, then one event per
 * call, flushed at once so a crashed run keeps its curves. A run resumed after {@code firstStep}
 * steps first cuts the earlier files back to the steps up to {@code firstStep} (a stopped process
 * may have logged beyond its last checkpoint, and those steps are trained again), then starts a
 * new file; a new run (firstStep 0) removes the old files, as {@code metrics.jsonl} starts over.
 */
public final class EventFile implements AutoCloseable {

    public static final String PREFIX = "events.out.tfevents.";

    private final Path file;
    private final OutputStream out;

    /** @param wallTime seconds since the epoch; names the file and stamps its version record */
    public EventFile(Path runDir, long firstStep, double wallTime, String host) {
        try {
            Files.createDirectories(runDir);
            for (Path old : files(runDir)) {
                trim(old, firstStep);
            }
            this.file = freeName(runDir, PREFIX + (long) wallTime + "." + host);
            this.out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create an event file in " + runDir, e);
        }
        write(Events.fileVersion(wallTime));
    }

    /** This machine's name as event files are named after it; {@code localhost} if it has none. */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The run's event files, oldest first (by name: the start time). */
    public static List<Path> files(Path runDir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(runDir)) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(runDir, PREFIX + "*")) {
                stream.forEach(p -> {
                    if (!p.getFileName().toString().endsWith(".tmp")) {
                        files.add(p);
                    }
                });
            }
        }
        files.sort(null);
        return files;
    }

    public Path path() {
        return file;
    }

    /** The newest step with scalars in the run's other event files (those before this one); 0 if none. */
    public long newestScalarStep() {
        long newest = 0;
        try {
            for (Path other : files(file.getParent())) {
                if (!other.equals(file)) {
                    for (byte[] record : TfRecord.readAll(Files.readAllBytes(other))) {
                        if (Events.hasScalars(record)) {
                            newest = Math.max(newest, Events.step(record));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the event files in " + file.getParent(), e);
        }
        return newest;
    }

    public void scalars(double wallTime, long step, Map<String, Double> values) {
        if (!values.isEmpty()) {
            write(Events.scalars(wallTime, step, values));
        }
    }

    public void text(double wallTime, long step, String tag, String markdown) {
        write(Events.text(wallTime, step, tag, markdown));
    }

    public void sessionStart(double wallTime, long step) {
        write(Events.sessionStart(wallTime, step));
    }

    private void write(byte[] event) {
        try {
            TfRecord.write(out, event);
            out.flush();
        } catch (IOException e) {
            throw DiskSpace.isFull(e) ? DiskSpace.full(file, -1, "", e) : new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the records of steps up to {@code step} (and the version record); none at all for step 0. */
    private static void trim(Path old, long step) throws IOException {
        if (step == 0) {
            Files.delete(old);
            return;
        }
        List<byte[]> records = TfRecord.readAll(Files.readAllBytes(old));
        List<byte[]> kept = records.stream().filter(r -> Events.step(r) <= step).toList();
        byte[] bytes = TfRecord.frameAll(kept);
        if (kept.size() == records.size() && bytes.length == Files.size(old)) {
            return;
        }
        Path tmp = old.resolveSibling(old.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, old, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** {@code name}, or {@code name.1}, {@code name.2}, ... when a process started in the same second. */
    private static Path freeName(Path dir, String name) {
        Path candidate = dir.resolve(name);
        for (int i = 1; Files.exists(candidate); i++) {
            candidate = dir.resolve(name + "." + i);
        }
        return candidate;
    }
}
