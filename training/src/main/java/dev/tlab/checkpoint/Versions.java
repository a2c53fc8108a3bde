package dev.tlab.checkpoint;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The library versions a checkpoint records. */
public final class Versions {

    private static final String TLAB = load();

    private Versions() {}

    /** tlab's Maven version, filled in at build time. */
    public static String tlab() {
        return TLAB;
    }

    public static String djl() {
        return Engine.getDjlVersion();
    }

    private static String load() {
        try (InputStream in = Versions.class.getResourceAsStream("/dev/tlab/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
