package dev.tlab.profile;

import ai.djl.ndarray.NDArray;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Times each sublayer call with the wall clock. On the CPU, PyTorch's eager ops are synchronous,
 * so the time between call and return is the sublayer's compute; on a GPU the device is synced
 * before and after each call. Also notes when the first sublayer of a pass starts and the last
 * one ends, which brackets the model between data preparation and the loss.
 */
final class WallClockTimer implements SublayerTimer {

    private final DeviceSync sync;
    private final Map<SublayerKind, Long> nanos = new EnumMap<>(SublayerKind.class);
    private long firstStart = -1;
    private long lastEnd = -1;

    WallClockTimer(DeviceSync sync) {
        this.sync = sync;
    }

    @Override
    public NDArray run(SublayerKind kind, NDArray x, UnaryOperator<NDArray> sublayer) {
        sync.await();
        long start = System.nanoTime();
        NDArray y = sublayer.apply(x);
        sync.await();
        long end = System.nanoTime();
        nanos.merge(kind, end - start, Long::sum);
        if (firstStart < 0) {
            firstStart = start;
        }
        lastEnd = end;
        return y;
    }

    /** Nanoseconds spent in {@code kind} so far. */
    long nanos(SublayerKind kind) {
        return nanos.getOrDefault(kind, 0L);
    }

    /** Start of the first sublayer call since the last {@link #newPass}, or -1. */
    long firstStart() {
        return firstStart;
    }

    /** End of the last sublayer call since the last {@link #newPass}, or -1. */
    long lastEnd() {
        return lastEnd;
    }

    void newPass() {
        firstStart = -1;
        lastEnd = -1;
    }
}
