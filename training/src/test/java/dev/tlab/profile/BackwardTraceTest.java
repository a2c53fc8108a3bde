package dev.tlab.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tlab.profile.MarkingTimer.Mark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackwardTraceTest {

    private static final List<Mark> FORWARD_MARKS = List.of(
            new Mark(SublayerKind.EMBEDDING, true),
            new Mark(SublayerKind.NORM, false), new Mark(SublayerKind.NORM, true),
            new Mark(SublayerKind.ATTENTION, false), new Mark(SublayerKind.ATTENTION, true),
            new Mark(SublayerKind.HEAD, false), new Mark(SublayerKind.HEAD, true));

    private final List<JsonNode> nodes = new ArrayList<>();

    private void node(String name, double micros) {
        var event = JsonNodeFactory.instance.objectNode();
        event.put("name", BackwardTrace.NODE + name);
        event.put("ts", nodes.size());
        event.put("dur", micros);
        nodes.add(event);
    }

    private void marker() {
        node(BackwardTrace.MARKER, 1000);
        node(BackwardTrace.MARKER, 1000);
    }

    @Test
    void gradientOpsBelongToThePartBetweenMarkers() {
        node("NllLossBackward0", 6);          // the loss, before any marker
        marker();                             // head output
        node("MmBackward0", 12);
        marker();                             // head input
        node("AddBackward0", 2);              // residual add: glue
        marker();                             // attention output
        node("BmmBackward0", 40);
        node("torch::autograd::AccumulateGrad", 4);
        marker();                             // attention input
        marker();                             // norm output
        node("NativeLayerNormBackward0", 8);
        marker();                             // norm input
        marker();                             // embedding output
        node("EmbeddingBackward0", 8);

        Map<Part, Double> shares = BackwardTrace.shares(nodes, FORWARD_MARKS);
        assertEquals(0.075, shares.get(Part.LOSS), 1e-9);
        assertEquals(0.15, shares.get(Part.HEAD), 1e-9);
        assertEquals(0.025, shares.get(Part.GLUE), 1e-9);
        assertEquals(0.55, shares.get(Part.ATTENTION), 1e-9);
        assertEquals(0.1, shares.get(Part.NORM), 1e-9);
        assertEquals(0.1, shares.get(Part.EMBEDDING), 1e-9);
    }

    @Test
    void markersThatDoNotMatchTheForwardAreAnError() {
        node("NllLossBackward0", 6);
        marker();
        node("MmBackward0", 12);
        assertThrows(IllegalStateException.class, () -> BackwardTrace.shares(nodes, FORWARD_MARKS));
        for (int i = 0; i < FORWARD_MARKS.size(); i++) {
            marker();
        }
        assertThrows(IllegalStateException.class, () -> BackwardTrace.shares(nodes, FORWARD_MARKS));
    }
}
