package dev.tlab.layers;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tlab.kernels.TorchKernels;
import java.util.Arrays;

/**
 * Whether the DJL JNI library in use can hold bfloat16 tensors: the one place that decides, asked
 * once per process.
 *
 * <p>DJL 0.36's JNI library turns a Java {@code DataType} into a libtorch type with a switch that
 * knows FLOAT32 to COMPLEX64 (ordinals 0-8) and ends in a bare {@code throw;}, which with no
 * exception active is {@code std::terminate}: any call that passes BFLOAT16 (ordinal 11) to libtorch
 * ({@code toType}, {@code create}, {@code zeros}, {@code full}) ends the JVM, and a bfloat16 tensor
 * made inside libtorch reads in Java as UNKNOWN. {@code scripts/build-djl-jni.sh} builds the
 * library with both directions mapped. The probe never hands the library a data type until it knows
 * which library it is: {@code kernels.pt}'s {@code to_bfloat16} makes a bfloat16 tensor inside
 * libtorch and Java reads its type back (BFLOAT16 from the patched library, UNKNOWN from DJL's).
 * Only then does it cast both ways with DJL and compare the values.
 */
public final class Bfloat16Support {

    /** Exact in bfloat16; 2^100 and 2^-100 are far outside float16's range. */
    private static final float[] VALUES = {1.5f, -2.25f, 0x1p100f, 0x1p-100f};

    private record Answer(boolean available, String reason) {}

    private static volatile Answer answer;

    private Bfloat16Support() {}

    public static boolean available() {
        return answer().available();
    }

    /** Why bfloat16 cannot be used, as a clause to follow "needs a JNI library that maps bfloat16, and"; null when it can. */
    public static String unavailableReason() {
        return answer().reason();
    }

    private static Answer answer() {
        Answer current = answer;
        if (current == null) {
            synchronized (Bfloat16Support.class) {
                current = answer;
                if (current == null) {
                    current = probe();
                    answer = current;
                }
            }
        }
        return current;
    }

    private static Answer probe() {
        if (!TorchKernels.available()) {
            return new Answer(false, "it cannot be checked: " + TorchKernels.unavailableReason());
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = manager.create(VALUES);
            NDArray made = TorchKernels.call("to_bfloat16", x);
            DataType seen = made.getDataType();
            if (seen != DataType.BFLOAT16) {
                return new Answer(false, "the one loaded does not: it reads a bfloat16 tensor as " + seen.name()
                        + " and would abort the JVM on a cast to BFLOAT16, as DJL's own builds do");
            }
            float[] back = made.toType(DataType.FLOAT32, false).toFloatArray();
            float[] again = x.toType(DataType.BFLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray();
            if (!Arrays.equals(VALUES, back) || !Arrays.equals(VALUES, again)) {
                return new Answer(false, "the one loaded names bfloat16 but its casts do not round-trip: "
                        + Arrays.toString(VALUES) + " came back as " + Arrays.toString(back) + " and " + Arrays.toString(again));
            }
            return new Answer(true, null);
        } catch (RuntimeException e) {
            return new Answer(false, "a bfloat16 cast in the one loaded failed: " + e.getMessage());
        }
    }
}
