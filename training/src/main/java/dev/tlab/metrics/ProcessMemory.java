package dev.tlab.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory as the kernel sees it (Linux {@code /proc/self/status}): resident set
 * (Java heap, native tensors and everything else) and its peak. Zero where /proc is missing.
 */
public record ProcessMemory(long residentBytes, long peakResidentBytes, long heapUsedBytes) {

    public static ProcessMemory now() {
        Runtime runtime = Runtime.getRuntime();
        long heap = runtime.totalMemory() - runtime.freeMemory();
        long rss = 0;
        long peak = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kilobytes(line) * 1024;
                } else if (line.startsWith("VmHWM:")) {
                    peak = kilobytes(line) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: report what the JVM knows
        }
        return new ProcessMemory(rss, peak, heap);
    }

    /** Resident memory outside the Java heap: native tensors, libtorch, JVM code and metadata. */
    public long nativeBytes() {
        return Math.max(0, residentBytes - heapUsedBytes);
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
