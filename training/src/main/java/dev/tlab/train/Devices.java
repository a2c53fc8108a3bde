package dev.tlab.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.tlab.errors.ConfigException;

/** The one place that turns {@code train.device} into a DJL device; nothing else asks the Engine. */
public final class Devices {

    private Devices() {}

    /** Rejects a setting that is not {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}. */
    public static void check(String key, String setting) {
        if (!setting.matches("auto|cpu|gpu|gpu:\\d+")) {
            throw new ConfigException(key + ": unknown value '" + setting + "'; allowed: auto, cpu, gpu, gpu:N");
        }
    }

    public static Device resolve(String setting) {
        return resolve("train.device", setting);
    }

    /** @param key what the user set it with, named in errors: {@code train.device}, or a command's {@code --device} */
    public static Device resolve(String key, String setting) {
        check(key, setting);
        int gpus = Engine.getInstance().getGpuCount();
        if (setting.equals("cpu")) {
            return Device.cpu();
        }
        if (setting.equals("auto")) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int id = setting.equals("gpu") ? 0 : Integer.parseInt(setting.substring("gpu:".length()));
        if (id >= gpus) {
            throw new ConfigException(
                    key + ": '"
                            + setting
                            + "' asked for, but "
                            + (gpus == 0
                                    ? "no CUDA GPU is visible to libtorch (build with -Pgpu to use CUDA libtorch)"
                                    : "only " + gpus + " GPU(s) are visible"));
        }
        return Device.gpu(id);
    }

    /** e.g. "libtorch 2.7.1 on cpu()" or "libtorch 2.7.1, CUDA 12.8, on gpu(0)", for the start-up log. */
    public static String describe(Device device) {
        String libtorch = "libtorch " + Engine.getInstance().getVersion();
        if (device.isGpu()) {
            return libtorch + ", CUDA " + ai.djl.util.cuda.CudaUtils.getCudaVersionString() + ", on " + device;
        }
        return libtorch + " on " + device;
    }
}
