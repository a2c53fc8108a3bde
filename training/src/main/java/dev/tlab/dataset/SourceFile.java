package dev.tlab.dataset;

/** A file a split was prepared from, as it was read: what decides whether prepared shards are still current. */
public record SourceFile(String path, long bytes, String sha256) {}
