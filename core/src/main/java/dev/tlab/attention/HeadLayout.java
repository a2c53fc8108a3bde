package dev.tlab.attention;

/**
 * How attention splits its width: {@code heads} query heads and {@code kvHeads} key/value heads of
 * {@code headSize} each; every key/value head serves a group of {@code heads / kvHeads} query heads
 * (grouped-query attention; one key/value head is multi-query, as many as queries is multi-head).
 */
public record HeadLayout(int heads, int kvHeads, int headSize) {

    public HeadLayout {
        if (heads < 1 || kvHeads < 1 || headSize < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention needs heads divisible by key/value heads, each of size >= 1;"
                    + " got " + heads + " heads, " + kvHeads + " key/value heads of size " + headSize);
        }
    }

    /** Multi-head attention over {@code width}: as many key/value heads as query heads. */
    public static HeadLayout multiHead(long width, int heads) {
        return new HeadLayout(heads, heads, Math.toIntExact(Attention.headDim(width, heads)));
    }

    /** Width of all query heads together. */
    public long queryWidth() {
        return (long) heads * headSize;
    }

    /** Width of all key (or value) heads together. */
    public long keyValueWidth() {
        return (long) kvHeads * headSize;
    }

    /** Query heads per key/value head. */
    public int groups() {
        return heads / kvHeads;
    }
}
