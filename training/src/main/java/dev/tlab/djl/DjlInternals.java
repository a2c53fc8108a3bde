package dev.tlab.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.reflect.Field;
import java.nio.file.Path;

/**
 * Every place tlab reaches past DJL's public API, with the reason; checked against DJL 0.36.0 and
 * its PyTorch engine. A DJL upgrade needs only this class looked at.
 */
public final class DjlInternals {

    private DjlInternals() {}

    /**
     * Points {@code parameter} at {@code array}. DJL lets a parameter's array be set only before its
     * shape is known; AdamW makes every parameter a view of one flat buffer per decay group after
     * initialization, so it writes the private field {@code Parameter.array}.
     */
    public static void replaceArray(Parameter parameter, NDArray array) {
        try {
            Field field = Parameter.class.getDeclaredField("array");
            field.setAccessible(true);
            field.set(parameter, array);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's Parameter has no 'array' field (checked against DJL 0.36.0)", e);
        }
    }

    /**
     * Zeroes {@code array}'s gradient in place, as torch's {@code zero_()}. The public route ({@code
     * getGradient().subi(...)}) is not NaN-safe and allocates; DJL's per-tensor AdamW kernel zeroes
     * the gradient itself, but a packed update runs on a gathered copy.
     */
    public static void zeroGradient(NDArray array) {
        JniUtils.zeroGrad((PtNDArray) array);
    }

    /** Starts PyTorch's profiler, which DJL exposes only through its JNI layer. */
    public static void startProfiler() {
        JniUtils.startProfile(false, false, false);
    }

    /** Stops PyTorch's profiler and writes its Chrome trace to {@code trace}. */
    public static void stopProfiler(Path trace) {
        JniUtils.stopProfile(trace.toString());
    }

    /** libtorch's intra-op thread count (at::get_num_threads), which DJL reads only into its log. */
    public static int intraOpThreads() {
        return JniUtils.getNumThreads();
    }

    /**
     * Sets libtorch's intra-op thread count (at::set_num_threads). DJL sets it only once, from the
     * system property {@code ai.djl.pytorch.num_threads} as the engine loads; a run sets its own.
     */
    public static void setIntraOpThreads(int threads) {
        JniUtils.setNumThreads(threads);
    }
}
