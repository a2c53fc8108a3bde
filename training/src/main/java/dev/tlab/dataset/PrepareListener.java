package dev.tlab.dataset;

/** Hears how a prepare goes: progress after each written chunk, and one-line messages (reuse, splits). */
@FunctionalInterface
public interface PrepareListener {

    PrepareListener SILENT = progress -> {};

    void progress(PrepareProgress progress);

    default void message(String text) {}
}
