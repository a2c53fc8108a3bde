package dev.tlab.files;

/** Size and SHA-256 (lowercase hex) of one file, as a manifest records it. */
public record FileDigest(long bytes, String sha256) {}
