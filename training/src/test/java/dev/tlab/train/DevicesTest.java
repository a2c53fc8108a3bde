package dev.tlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.tlab.errors.ConfigException;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void cpuAndAutoResolveWithoutAGpu() {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "this machine has a GPU");
        assertEquals(Device.cpu(), Devices.resolve("cpu"));
        assertEquals(Device.cpu(), Devices.resolve("auto"));
        // libtorch 2.7.1 from the CPU native jar by default; another when PYTORCH_LIBRARY_PATH says so.
        assertTrue(Devices.describe(Device.cpu()).matches("libtorch \\d+\\.\\d+\\.\\d+ on cpu\\(\\).*"),
                Devices.describe(Device.cpu()));
    }

    @Test
    void askingForAMissingGpuIsAnErrorNotACpuRun() {
        int gpus = Engine.getInstance().getGpuCount();
        String missing = "gpu:" + gpus;
        ConfigException error = assertThrows(ConfigException.class, () -> Devices.resolve(missing));
        assertTrue(error.getMessage().contains("train.device") && error.getMessage().contains(missing), error.getMessage());
    }

    @Test
    void unknownSettingNamesTheAllowedOnes() {
        ConfigException error = assertThrows(ConfigException.class, () -> Devices.resolve("cuda"));
        assertTrue(error.getMessage().contains("auto, cpu, gpu, gpu:N"), error.getMessage());
    }
}
