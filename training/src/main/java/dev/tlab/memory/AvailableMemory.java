package dev.tlab.memory;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import dev.tlab.config.TrainConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.ModelConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory a run may still take on its device, and the check that refuses a config that cannot fit. */
public final class AvailableMemory {

    private AvailableMemory() {}

    /** Free device memory on a GPU; on the CPU, the kernel's MemAvailable (free plus reclaimable cache). */
    public static double bytes(Device device) {
        if (device.isGpu()) {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            return usage.getMax() - usage.getUsed();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Double.parseDouble(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall back to the machine's total
        }
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** Refuses, naming the keys that drive the estimate, a config whose step would not fit on {@code device}. */
    public static MemoryEstimate require(ModelConfig model, TrainConfig train, Device device) {
        return require(MemoryEstimate.of(model, train), device);
    }

    /** {@link #require(ModelConfig, TrainConfig, Device)} for an estimate already made (a LoRA run's). */
    public static MemoryEstimate require(MemoryEstimate estimate, Device device) {
        double available = bytes(device);
        if (estimate.totalBytes() > available) {
            throw new ConfigException("this run needs about " + MemoryEstimate.bytes(estimate.totalBytes()) + " of memory but "
                    + MemoryEstimate.bytes(available) + " is available on " + device + "; reduce " + estimate.drivers()
                    + " (tlab train CONFIG --dry-run shows the estimate's parts)");
        }
        return estimate;
    }

    /**
     * An allocation that failed inside libtorch anyway (the estimate is approximate, and other
     * processes take memory too), as one named error with the estimate; any other failure unchanged.
     *
     * @param estimate the run's estimate, or null when it failed before one was made
     */
    public static RuntimeException explain(RuntimeException failure, MemoryEstimate estimate, Device device) {
        String message = String.valueOf(failure.getMessage());
        if (!message.contains("can't allocate memory") && !message.contains("out of memory")) {
            return failure;
        }
        return new ConfigException("out of memory on " + device + " (" + MemoryEstimate.bytes(bytes(device))
                + " is available now)" + (estimate == null ? "" : "; the estimate for this run was "
                + MemoryEstimate.bytes(estimate.totalBytes()) + ", driven by " + estimate.drivers()
                + ": reduce those, or train.batch_size with a larger train.grad_accum"), failure);
    }
}
