package dev.tlab.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tlab.metrics.ProcessMemory;
import dev.tlab.profile.ProfileTable;

/**
 * What a {@link Bench} run measured.
 *
 * @param peakType the precision the matmul peak was timed in: the run's
 * @param before the matmul peak timed before training
 * @param after the matmul peak timed after training
 * @param steps training steps run
 * @param warmupSteps steps run before the timed window
 * @param throughput the timed window's speed
 * @param alongside matmul rates timed between training steps (empty when off)
 * @param memory resident memory sampled every few steps
 * @param end this process's memory after the run
 * @param profile the sublayer timing table, or null when not asked for
 */
public record BenchResult(
        Device device, DataType peakType, MatmulPeak before, MatmulPeak after, long steps, long warmupSteps,
        Throughput throughput, MatmulSamples alongside, MemoryTrace memory, ProcessMemory end, ProfileTable profile) {

    /**
     * The higher of the two peak readings: on a shared machine one reading can come out low, and
     * MFU against a low peak flatters.
     */
    public double peakFlops() {
        return Math.max(before.flops(), after.flops());
    }

    /** MFU against {@link #peakFlops}. */
    public double mfu() {
        return throughput.mfu(peakFlops());
    }

    /** MFU against the median of the rates timed between steps; NaN without them. */
    public double mfuAlongside() {
        return throughput.mfu(alongside.median());
    }
}
