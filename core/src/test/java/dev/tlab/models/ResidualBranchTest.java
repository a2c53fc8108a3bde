package dev.tlab.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.SelfAttention;
import dev.tlab.layers.FeedForward;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormPlacement;
import dev.tlab.norm.NormType;
import dev.tlab.positional.PositionalKind;
import dev.tlab.positional.PositionalScheme;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResidualBranchTest {

    /** Parameter order fixes initialization draws and checkpoint layout, so it must not move. */
    @ParameterizedTest
    @EnumSource(NormPlacement.class)
    void blockRegistersNormsAndSublayersInTheSameOrder(NormPlacement placement) {
        ModelConfig config = Models.tiny(placement, NormType.LAYERNORM, PositionalKind.LEARNED, true, true);
        TransformerBlock block = new TransformerBlock(config, true, true, PositionalScheme.NONE);
        List<String> names = block.getParameters().keys().stream().map(ParameterNames::clean).toList();
        List<String> expected = Stream.of(
                        "ln1", "attn.qkv", "attn.proj", "postln1",
                        "lnx", "xattn.q", "xattn.kv", "xattn.proj", "postlnx",
                        "ln2", "mlp.fc", "mlp.proj", "postln2")
                .filter(part -> placement == NormPlacement.SANDWICH || !part.startsWith("postln"))
                .flatMap(part -> Stream.of(part + ".weight", part + ".bias"))
                .collect(Collectors.toList());
        assertEquals(expected, names);
        assertEquals(3 * placement.normsPerBranch(), names.stream().filter(n -> n.matches("(post)?ln.*weight")).count());
    }

    @ParameterizedTest
    @EnumSource(NormPlacement.class)
    void blockComposesItsBranchesAsThePlacementSays(NormPlacement placement) {
        Engine.getInstance().setRandomSeed(5);
        ModelConfig config = Models.tiny(placement, NormType.LAYERNORM, PositionalKind.LEARNED, true, true);
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerBlock block = new TransformerBlock(config, true, false, PositionalScheme.NONE);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 4, 8));
            // Gains away from 1 so that a misplaced norm shows.
            for (var p : block.getParameters().values()) {
                if (p.getName().equals("weight") && p.getArray().getShape().dimension() == 1) {
                    p.getArray().muli(manager.randomUniform(0.5f, 2f, p.getArray().getShape()));
                }
            }
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray x = manager.randomNormal(0, 2, new Shape(1, 4, 8), DataType.FLOAT32);
            SelfAttention attn = (SelfAttention) child(block, "attn");
            FeedForward mlp = (FeedForward) child(block, "mlp");
            Norm ln1 = (Norm) child(block, "ln1");
            Norm ln2 = (Norm) child(block, "ln2");
            NDArray h = switch (placement) {
                case PRE -> x.add(attn.forward(ps, ln1.forward(ps, x), false));
                case POST -> ln1.forward(ps, x.add(attn.forward(ps, x, false)));
                case SANDWICH -> x.add(((Norm) child(block, "postln1")).forward(ps, attn.forward(ps, ln1.forward(ps, x), false)));
            };
            NDArray expected = switch (placement) {
                case PRE -> h.add(mlp.forward(ps, ln2.forward(ps, h), false));
                case POST -> ln2.forward(ps, h.add(mlp.forward(ps, h, false)));
                case SANDWICH -> h.add(((Norm) child(block, "postln2")).forward(ps, mlp.forward(ps, ln2.forward(ps, h), false)));
            };
            assertArrayEquals(expected.toFloatArray(), block.forward(ps, x, false).toFloatArray());
        }
    }

    private static Block child(Block block, String name) {
        return block.getChildren().stream()
                .filter(entry -> ParameterNames.clean(entry.getKey()).equals(name))
                .findFirst().orElseThrow().getValue();
    }
}
