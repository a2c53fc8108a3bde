package dev.tlab.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tlab.kernels.TorchKernels;
import org.junit.jupiter.api.Test;

/** The probe runs on any JNI library without ending the JVM; what it answers depends on the library. */
class Bfloat16SupportTest {

    @Test
    void answersOnceWithAReasonWhenNot() {
        boolean available = Bfloat16Support.available();
        assertEquals(available, Bfloat16Support.available());
        if (available) {
            assertNull(Bfloat16Support.unavailableReason());
        } else {
            assertNotNull(Bfloat16Support.unavailableReason());
            assertFalse(Bfloat16Support.unavailableReason().contains("\n"), Bfloat16Support.unavailableReason());
        }
    }

    /** The answer agrees with the type a bfloat16 tensor made inside libtorch reads as in Java. */
    @Test
    void agreesWithTheTypeJavaReadsBack() {
        assumeTrue(TorchKernels.available(), "kernels.pt did not load");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray made = TorchKernels.call("to_bfloat16", manager.create(new float[] {1f}));
            assertEquals(made.getDataType() == DataType.BFLOAT16, Bfloat16Support.available(), "read as " + made.getDataType());
        }
    }

    /** DJL's own JNI library (the CPU default, 2.7.1, as in CI) reads bfloat16 as UNKNOWN: unavailable. */
    @Test
    void djlsOwnJniLibraryCannotHoldBfloat16() {
        assumeTrue(System.getenv("PYTORCH_LIBRARY_PATH") == null, "a libtorch from PYTORCH_LIBRARY_PATH, maybe with its own JNI library");
        assumeTrue(TorchKernels.available(), "kernels.pt did not load");
        assertFalse(Bfloat16Support.available());
        assertTrue(Bfloat16Support.unavailableReason().contains("reads a bfloat16 tensor as UNKNOWN"),
                Bfloat16Support.unavailableReason());
    }
}
