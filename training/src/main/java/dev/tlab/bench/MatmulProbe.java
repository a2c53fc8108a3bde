package dev.tlab.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Two n x n random matrices on the device, to time their product. */
public final class MatmulProbe implements AutoCloseable {

    private final NDManager manager;
    private final NDArray a;
    private final NDArray b;
    private final int n;

    public MatmulProbe(Device device, int n, DataType type) {
        this.n = n;
        manager = NDManager.newBaseManager(device);
        a = manager.randomNormal(new Shape(n, n)).toType(type, false);
        b = manager.randomNormal(new Shape(n, n)).toType(type, false);
    }

    /** FLOP/s of three back-to-back products after one untimed one: a sustained, not a best, rate. */
    public double rate() {
        rate(1);
        return rate(3);
    }

    /** FLOP/s of {@code count} products, timed to the last one's result on the host. */
    public double rate(int count) {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            try (NDArray c = a.matMul(b)) {
                // One element to the host, in float32 (DJL reads no bfloat16 into Java).
                c.get(0, 0).toType(DataType.FLOAT32, false).getFloat();
            }
        }
        return count * 2.0 * n * n * n / ((System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() {
        manager.close();
    }
}
