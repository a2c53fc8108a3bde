package dev.tlab.metrics;

/**
 * Whether this Java runtime can draw PNGs. The GPU bundle's trimmed runtime leaves out the
 * java.desktop module (a fifth of its size); runs there skip plots and keep metrics.jsonl.
 */
public final class Plots {

    public static final String MISSING =
            "plots skipped: this Java runtime has no java.desktop module (metrics.jsonl has every figure)";

    private Plots() {}

    public static boolean supported() {
        return ModuleLayer.boot().findModule("java.desktop").isPresent();
    }
}
