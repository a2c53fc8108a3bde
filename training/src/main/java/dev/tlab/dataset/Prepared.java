package dev.tlab.dataset;

/**
 * The outcome of {@link Prepare#run}: the prepared shards, opened and checked.
 *
 * @param reused whether shards prepared earlier were kept
 * @param reason why: what was compared, or what changed
 */
public record Prepared(TokenShards shards, boolean reused, String reason) {}
