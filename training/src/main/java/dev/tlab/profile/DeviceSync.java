package dev.tlab.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Waits until the device has finished the work queued so far, so that a clock reading means
 * something. A no-op on the CPU, where PyTorch's eager ops return when done. DJL has no explicit
 * CUDA synchronize; copying a value back to the host waits for the stream, which is enough.
 */
@FunctionalInterface
interface DeviceSync {

    void await();

    static DeviceSync of(Device device) {
        if (!device.isGpu()) {
            return () -> {};
        }
        return () -> {
            try (NDManager scratch = NDManager.newBaseManager(device)) {
                scratch.zeros(new Shape(1)).toFloatArray();
            }
        };
    }
}
