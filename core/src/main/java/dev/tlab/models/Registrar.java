package dev.tlab.models;

import ai.djl.nn.Block;

/**
 * {@code AbstractBlock::addChildBlock} of the owning block, for parts that register blocks on it
 * under their own names. Registration order is parameter order, which fixes initialization draws.
 */
interface Registrar {
    <B extends Block> B add(String name, B block);
}
