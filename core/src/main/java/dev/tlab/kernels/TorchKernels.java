package dev.tlab.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch ops that DJL 0.36 has no binding for, reached through the TorchScript module {@code
 * kernels.pt} (made by {@code scripts/kernels/make_kernels.py}). DJL runs a module's methods with
 * autograd, so these ops train like any other. Loaded once per process; where it cannot load, {@link
 * #available()} is false and {@link #unavailableReason()} says why, and callers fall back.
 */
public final class TorchKernels {

    private static final Logger LOG = LoggerFactory.getLogger(TorchKernels.class);
    private static final String RESOURCE = "/dev/tlab/kernels/kernels.pt";

    private static volatile Loaded loaded;

    /** The module, or why there is none; its manager also owns the small constants passed to it. */
    private record Loaded(PtSymbolBlock module, NDManager manager, String failure, Map<String, NDArray> constants) {}

    private TorchKernels() {}

    public static boolean available() {
        return load().module() != null;
    }

    /** Why the module did not load; null when it did. */
    public static String unavailableReason() {
        return load().failure();
    }

    /**
     * Runs the module's {@code method} on {@code inputs}, recording autograd where grad mode is on.
     * The result belongs to the first input's manager, as any op's would.
     */
    public static NDArray call(String method, NDArray... inputs) {
        Loaded module = load();
        if (module.module() == null) {
            throw new IllegalStateException("kernels.pt is not available: " + module.failure());
        }
        NDList list = new NDList(inputs.length + 1);
        for (NDArray input : inputs) {
            list.add(input);
        }
        if (!method.equals("forward")) {
            // DJL picks the method from an input named "module_method:NAME"; that input is not passed on.
            list.add(constant(module, "module_method:" + method, 0));
        }
        return IValueUtils.forward(module.module(), list, true).singletonOrThrow();
    }

    /** A 0-d float64 CPU tensor holding {@code value}, made once: how a number reaches the module. */
    public static NDArray number(double value) {
        return constant(load(), "number:" + value, value);
    }

    private static NDArray constant(Loaded module, String name, double value) {
        return module.constants().computeIfAbsent(name, key -> {
            NDArray array = module.manager().create(value);
            // Kept for the process: a step's scope must not free it.
            NDScope.unregister(array);
            if (key.startsWith("module_method:")) {
                array.setName(key);
            }
            return array;
        });
    }

    /** Frees the constants, so a test sees them made afresh. */
    static void dropConstants() {
        Map<String, NDArray> constants = load().constants();
        constants.values().forEach(NDArray::close);
        constants.clear();
    }

    private static Loaded load() {
        Loaded current = loaded;
        if (current == null) {
            synchronized (TorchKernels.class) {
                current = loaded;
                if (current == null) {
                    current = open();
                    loaded = current;
                }
            }
        }
        return current;
    }

    private static Loaded open() {
        NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu());
        try (InputStream in = TorchKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager, in, false, false);
            return new Loaded(module, manager, null, new ConcurrentHashMap<>());
        } catch (Exception | UnsatisfiedLinkError e) {
            String reason = RESOURCE + " did not load in this libtorch: " + e.getMessage();
            LOG.warn("{}; the ops it provides fall back to DJL's", reason);
            manager.close();
            return new Loaded(null, null, reason, Map.of());
        }
    }
}
