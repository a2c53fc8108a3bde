package dev.tlab.lora;

import java.util.List;

/**
 * A LoRA adapter's shape (Hu et al., 2021): each targeted projection {@code W} gets {@code A [rank,
 * in]} and {@code B [out, rank]}, and its output becomes {@code W x + (alpha / rank) B A drop(x)}.
 *
 * @param targets projection names: {@code q k v o} (attention), {@code gate up down} (feed-forward);
 *     {@link #ALL} is every one the model has
 */
public record LoraSpec(int rank, double alpha, double dropout, List<String> targets) {

    /** Every projection tlab names, in the order adapters are listed. */
    public static final List<String> PROJECTIONS = List.of("q", "k", "v", "o", "gate", "up", "down");
    public static final String ALL = "all";

    public LoraSpec {
        targets = List.copyOf(targets);
    }

    /** What the product {@code B A} is multiplied by. */
    public double scale() {
        return alpha / rank;
    }

    /** Whether the projection called {@code part} gets an adapter. */
    public boolean targets(String part) {
        return targets.contains(ALL) || targets.contains(part);
    }
}
