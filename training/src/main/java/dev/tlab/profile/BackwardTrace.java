package dev.tlab.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.profile.MarkingTimer.Mark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Splits one backward pass by part, from a PyTorch profiler trace (chrome trace JSON) of a step
 * whose forward ran under a {@link MarkingTimer}. Each autograd node shows up as one top-level
 * {@code autograd::engine::evaluate_function: <Node>} event; walking them in time order, marker
 * pairs switch the current part: the gradient ops before the first marker belong to the loss,
 * those after a sublayer's output marker to that sublayer, and those after an input marker (until
 * the next output marker) to the glue between sublayers.
 */
final class BackwardTrace {

    static final String NODE = "autograd::engine::evaluate_function: ";
    static final String MARKER = "FlipBackward0";

    private BackwardTrace() {}

    /**
     * Each part's share of the backward pass's node time (shares sum to 1).
     *
     * @throws IllegalStateException when the markers in the trace do not match {@code marks}
     */
    static Map<Part, Double> shares(Path trace, List<Mark> marks) throws IOException {
        JsonNode events = new ObjectMapper().readTree(trace.toFile());
        List<JsonNode> nodes = new ArrayList<>();
        for (JsonNode event : events) {
            if (event.path("name").asText().startsWith(NODE)) {
                nodes.add(event);
            }
        }
        nodes.sort(Comparator.comparingDouble(e -> e.path("ts").asDouble()));
        return shares(nodes, marks);
    }

    static Map<Part, Double> shares(List<JsonNode> nodes, List<Mark> marks) {
        Map<Part, Double> micros = new EnumMap<>(Part.class);
        Part current = Part.LOSS;
        int next = marks.size() - 1;
        boolean halfMarker = false;
        double total = 0;
        for (JsonNode node : nodes) {
            String name = node.path("name").asText().substring(NODE.length());
            if (name.equals(MARKER)) {
                // A marker is two flips; the part changes after the second.
                halfMarker = !halfMarker;
                if (!halfMarker) {
                    if (next < 0) {
                        throw new IllegalStateException("the backward trace has more markers than the forward placed");
                    }
                    Mark mark = marks.get(next--);
                    current = mark.output() ? Part.of(mark.kind()) : Part.GLUE;
                }
                continue;
            }
            double duration = node.path("dur").asDouble();
            micros.merge(current, duration, Double::sum);
            total += duration;
        }
        if (next >= 0 || halfMarker) {
            throw new IllegalStateException("the backward trace has " + (marks.size() - 1 - next) + " of the "
                    + marks.size() + " markers the forward placed");
        }
        Map<Part, Double> shares = new EnumMap<>(Part.class);
        for (var entry : micros.entrySet()) {
            shares.put(entry.getKey(), entry.getValue() / total);
        }
        return shares;
    }
}
