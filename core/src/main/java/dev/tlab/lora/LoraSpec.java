package dev.tlab.lora;

import dev.tlab.layers.FfnKind;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelType;
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

    /**
     * The adapter parameters {@link Lora#attach} gives {@code model}, by formula ({@code rank (in +
     * out)} per targeted projection), for the memory estimate before anything is built.
     */
    public double parameters(ModelConfig model) {
        double d = model.dModel();
        double f = model.ffHidden();
        double q = (double) model.heads() * model.headSize();
        double kv = (double) model.keyValueHeads() * model.headSize();
        double attention = (targets("q") ? rank * (d + q) : 0) + (targets("k") ? rank * (d + kv) : 0)
                + (targets("v") ? rank * (d + kv) : 0) + (targets("o") ? rank * (q + d) : 0);
        double ffn = (targets("up") ? rank * (d + f) : 0) + (targets("down") ? rank * (f + d) : 0)
                + (model.ffn() == FfnKind.SWIGLU && targets("gate") ? rank * (d + f) : 0);
        double decoder = model.layers() * (attention + ffn);
        return switch (model.type()) {
            case DECODER, ENCODER -> decoder;
            // The decoder's blocks add cross-attention (q, k, v, o again).
            case ENCODER_DECODER -> decoder + model.encoderDepth() * (attention + ffn) + model.layers() * attention;
        };
    }

    /** Whether the projection called {@code part} gets an adapter. */
    public boolean targets(String part) {
        return targets.contains(ALL) || targets.contains(part);
    }
}
