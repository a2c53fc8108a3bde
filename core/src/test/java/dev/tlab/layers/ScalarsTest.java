package dev.tlab.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class ScalarsTest {

    @Test
    void gradientsThroughAConstantSurviveGarbageCollection() throws Exception {
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        collector.setDaemon(true);
        collector.start();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = manager.create(new float[] {1, -2, 3, 0.5f});
            x.setRequiresGradient(true);
            for (int i = 0; i < 200; i++) {
                try (NDScope ignored = new NDScope()) {
                    try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Scalars.over(Scalars.times(x, 3.0), 4.0).sum();
                        // Allocate and drop Java buffers between forward and backward, as a training step does.
                        for (int j = 0; j < 50; j++) {
                            manager.create(new float[256]).close();
                        }
                        c.backward(y);
                    }
                    NDArray grad = x.getGradient();
                    assertArrayEquals(new float[] {0.75f, 0.75f, 0.75f, 0.75f}, grad.toFloatArray(), "iteration " + i);
                    grad.subi(grad);
                }
            }
        } finally {
            collector.interrupt();
            collector.join();
        }
    }
}
