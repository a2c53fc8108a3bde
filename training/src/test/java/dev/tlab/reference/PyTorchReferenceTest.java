package dev.tlab.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tlab.attention.AttentionKernel;
import dev.tlab.attention.HeadLayout;
import dev.tlab.attention.Masks;
import dev.tlab.attention.SelfAttention;
import dev.tlab.layers.Biases;
import dev.tlab.layers.FeedForward;
import dev.tlab.layers.FfnKind;
import dev.tlab.layers.Gelu;
import dev.tlab.norm.Norm;
import dev.tlab.norm.NormType;
import dev.tlab.optim.AdamW;
import dev.tlab.optim.LrSchedule;
import dev.tlab.positional.Alibi;
import dev.tlab.positional.PositionalScheme;
import dev.tlab.positional.RelativeBias;
import dev.tlab.positional.Rotary;
import dev.tlab.train.LmLoss;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each building block against an implementation tlab does not share: outputs of PyTorch and Hugging
 * Face transformers for the same inputs and weights, committed in {@code reference/blocks.json} by
 * {@code scripts/reference/blocks.py}. Comparisons of two tlab paths (cached against full, sdpa
 * against math, export against import) miss a bug both share; these do not.
 */
class PyTorchReferenceTest {

    /** float32 arithmetic in a different order than torch's (bloom computes its slopes in float32, hence 1e-7 there). */
    private static final double CLOSE = 2e-5;

    private static JsonNode fixture;

    @BeforeAll
    static void read() throws Exception {
        try (InputStream in = PyTorchReferenceTest.class.getResourceAsStream("blocks.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    @Test
    void attentionWithCausalAndPaddingMasksAndPartialRope() {
        for (JsonNode c : fixture.get("attention")) {
            for (AttentionKernel kernel : List.of(AttentionKernel.MATH, AttentionKernel.SDPA)) {
                int d = c.get("d").asInt();
                int heads = c.get("heads").asInt();
                int length = c.get("length").asInt();
                int batch = c.get("valid").size();
                try (NDManager manager = NDManager.newBaseManager()) {
                    PositionalScheme positional = c.get("rope_fraction").isNull() ? PositionalScheme.NONE
                            : new Rotary(length, d / heads, c.get("rope_fraction").asDouble(), 10000.0);
                    SelfAttention attention = new SelfAttention(d, HeadLayout.multiHead(d, heads), c.get("causal").asBoolean(), 0.0,
                            Biases.ALL, 0.0, positional, 0.02, kernel);
                    attention.initialize(manager, DataType.FLOAT32, new Shape(batch, length, d));
                    positional.bind(manager);
                    set(attention, "01qkv_weight", c.get("qkv_weight"));
                    set(attention, "01qkv_bias", c.get("qkv_bias"));
                    set(attention, "02proj_weight", c.get("proj_weight"));
                    set(attention, "02proj_bias", c.get("proj_bias"));
                    float[] valid = floats(c.get("valid"));
                    NDArray mask = Masks.padding(manager.create(valid, new Shape(batch, length)));
                    NDArray x = manager.create(floats(c.get("x")), new Shape(batch, length, d));
                    float[] out = attention.forward(new ParameterStore(manager, false), x, mask, null, false).toFloatArray();
                    assertClose(c.get("out"), out, CLOSE, c.get("name").asText() + " (" + kernel + ")");
                }
            }
        }
    }

    @Test
    void ropeRotatesAsHuggingFacesRotateHalf() {
        for (JsonNode c : fixture.get("rope")) {
            int head = c.get("head").asInt();
            int length = c.get("length").asInt();
            int offset = c.get("offset").asInt();
            try (NDManager manager = NDManager.newBaseManager()) {
                Rotary rope = new Rotary(64, head, c.get("fraction").asDouble(), c.get("base").asDouble());
                rope.bind(manager);
                NDArray x = manager.create(floats(c.get("x")), new Shape(1, 2, length, head));
                assertClose(c.get("out"), rope.rotate(x, offset).toFloatArray(), 1e-5,
                        "head " + head + ", fraction " + c.get("fraction") + ", offset " + offset);
            }
        }
    }

    @Test
    void alibiSlopesAreBloomsForEveryHeadCount() {
        fixture.get("alibi").fields().forEachRemaining(e -> {
            double[] slopes = Alibi.slopes(Integer.parseInt(e.getKey()));
            assertEquals(e.getValue().size(), slopes.length);
            for (int h = 0; h < slopes.length; h++) {
                assertEquals(e.getValue().get(h).asDouble(), slopes[h], 1e-7, e.getKey() + " heads, head " + h);
            }
        });
    }

    @Test
    void t5BucketsAreTransformersBuckets() {
        for (JsonNode c : fixture.get("t5_buckets")) {
            int from = c.get("relative_from").asInt();
            for (int i = 0; i < c.get("ids").size(); i++) {
                int relative = from + i;
                assertEquals(c.get("ids").get(i).asInt(), RelativeBias.bucket(relative, c.get("bidirectional").asBoolean(),
                        c.get("buckets").asInt(), c.get("max_distance").asInt()), c + " at relative position " + relative);
            }
        }
    }

    @Test
    void layerNormAndRmsNormAreTorchs() {
        JsonNode c = fixture.get("norm");
        for (NormType type : NormType.values()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Norm norm = new Norm(type, 10, type == NormType.LAYERNORM, c.get("eps").asDouble());
                norm.initialize(manager, DataType.FLOAT32, new Shape(3, 10));
                norm.getParameters().get("weight").getArray().set(floats(c.get("weight")));
                if (type == NormType.LAYERNORM) {
                    norm.getParameters().get("bias").getArray().set(floats(c.get("bias")));
                }
                NDArray x = manager.create(floats(c.get("x")), new Shape(3, 10));
                float[] out = norm.forward(new ParameterStore(manager, false), x).toFloatArray();
                assertClose(c.get(type == NormType.LAYERNORM ? "layernorm" : "rmsnorm"), out, 1e-5, type.toString());
            }
        }
    }

    @Test
    void feedForwardsAndBothGelusAreTorchs() {
        JsonNode c = fixture.get("ffn");
        int d = c.get("d").asInt();
        int hidden = c.get("hidden").asInt();
        JsonNode grid = c.get("gelu_grid");
        for (Gelu gelu : Gelu.values()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = manager.create(floats(grid.get("x")));
                assertClose(grid.get(gelu.toString()), gelu.apply(x).toFloatArray(), 1e-6, "gelu " + gelu);

                JsonNode weights = c.get("gelu_" + gelu);
                FeedForward ffn = new FeedForward(FfnKind.GELU, gelu, d, hidden, true, 0.0, 0.02);
                ffn.initialize(manager, DataType.FLOAT32, new Shape(2, 3, d));
                set(ffn, "01fc_weight", weights.get("fc_weight"));
                set(ffn, "01fc_bias", weights.get("fc_bias"));
                set(ffn, "02proj_weight", weights.get("proj_weight"));
                set(ffn, "02proj_bias", weights.get("proj_bias"));
                NDArray input = manager.create(floats(c.get("x")), new Shape(2, 3, d));
                assertClose(weights.get("out"), ffn.forward(new ParameterStore(manager, false), input, false).toFloatArray(),
                        CLOSE, "gelu (" + gelu + ") feed-forward");
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            JsonNode weights = c.get("swiglu");
            FeedForward ffn = new FeedForward(FfnKind.SWIGLU, Gelu.ERF, d, hidden, false, 0.0, 0.02);
            ffn.initialize(manager, DataType.FLOAT32, new Shape(2, 3, d));
            // tlab's fc holds Llama's gate_proj rows, then up_proj's.
            float[] gate = floats(weights.get("gate_weight"));
            float[] up = floats(weights.get("up_weight"));
            float[] fc = new float[gate.length + up.length];
            System.arraycopy(gate, 0, fc, 0, gate.length);
            System.arraycopy(up, 0, fc, gate.length, up.length);
            ffn.getParameters().get("01fc_weight").getArray().set(fc);
            set(ffn, "02proj_weight", weights.get("down_weight"));
            NDArray input = manager.create(floats(c.get("x")), new Shape(2, 3, d));
            assertClose(weights.get("out"), ffn.forward(new ParameterStore(manager, false), input, false).toFloatArray(),
                    CLOSE, "swiglu feed-forward");
        }
    }

    @Test
    void crossEntropyIgnoresWeightlessPositionsAsIgnoreIndexDoes() {
        JsonNode c = fixture.get("cross_entropy");
        int batch = c.get("batch").asInt();
        int length = c.get("length").asInt();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(floats(c.get("logits")), new Shape(batch, length, c.get("vocab").asInt()));
            long[] ids = new long[c.get("targets").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.get("targets").get(i).asLong();
            }
            NDArray targets = manager.create(ids, new Shape(batch, length));
            NDArray weights = manager.create(floats(c.get("weights")), new Shape(batch, length));
            assertEquals(c.get("mean").asDouble(), LmLoss.crossEntropy(logits, targets).getFloat(), 1e-5, "mean");
            double ignoring = c.get("ignoring").asDouble();
            assertEquals(ignoring, LmLoss.crossEntropy(logits, targets, weights).getFloat(), 1e-5, "ignore_index");
            assertTrue(Math.abs(ignoring - c.get("mean").asDouble()) > 0.1, "the case tells the two apart");
        }
    }

    @Test
    void adamWWithDecayGroupsIsTorchsAdamW() {
        JsonNode c = fixture.get("adamw");
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter matrix = parameter(manager, "matrix", floats(c.get("start").get("matrix")), new Shape(3, 4));
            Parameter bias = parameter(manager, "bias", floats(c.get("start").get("bias")), new Shape(4));
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            parameters.put("matrix", matrix);
            parameters.put("bias", bias);
            AdamW adamw = new AdamW(parameters, c.get("betas").get(0).asDouble(), c.get("betas").get(1).asDouble(),
                    c.get("eps").asDouble(), c.get("weight_decay").asDouble(), AdamW.State.FRESH);
            for (int step = 0; step < c.get("lrs").size(); step++) {
                JsonNode grads = c.get("grads").get(step);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = matrix.getArray().mul(manager.create(floats(grads.get("matrix")), new Shape(3, 4))).sum()
                            .add(bias.getArray().mul(manager.create(floats(grads.get("bias")), new Shape(4))).sum());
                    collector.backward(loss);
                }
                adamw.step(c.get("lrs").get(step).asDouble(), 1.0);
            }
            assertClose(c.get("matrix"), matrix.getArray().toFloatArray(), 1e-6, "matrix (decays)");
            assertClose(c.get("bias"), bias.getArray().toFloatArray(), 1e-6, "bias (no decay)");
        }
    }

    @Test
    void warmupCosineScheduleIsNanoGptsAndTransformers() {
        JsonNode c = fixture.get("schedule");
        LrSchedule schedule = new LrSchedule(c.get("peak").asDouble(), c.get("floor").asDouble(), c.get("warmup").asInt(),
                c.get("decay_end").asInt());
        for (int step = 0; step < c.get("lrs").size(); step++) {
            assertEquals(c.get("lrs").get(step).asDouble(), schedule.at(step), 1e-12, "step " + step);
        }
    }

    private static Parameter parameter(NDManager manager, String name, float[] values, Shape shape) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optArray(manager.create(values, shape)).build();
        p.getArray().setRequiresGradient(true);
        return p;
    }

    private static void set(AbstractBlock block, String name, JsonNode values) {
        block.getParameters().get(name).getArray().set(floats(values));
    }

    private static float[] floats(JsonNode node) {
        List<Double> values = new java.util.ArrayList<>();
        collect(node, values);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    private static void collect(JsonNode node, List<Double> into) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, into));
        } else {
            into.add(node.asDouble());
        }
    }

    /** Largest difference within {@code tolerance} times the reference's scale (at least 1). */
    private static void assertClose(JsonNode expected, float[] actual, double tolerance, String what) {
        float[] reference = floats(expected);
        assertEquals(reference.length, actual.length, what + ": size");
        double scale = 1;
        double worst = 0;
        int at = 0;
        for (int i = 0; i < reference.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            if (Math.abs(reference[i] - actual[i]) > worst) {
                worst = Math.abs(reference[i] - actual[i]);
                at = i;
            }
        }
        assertTrue(worst <= tolerance * scale, what + ": element " + at + " is " + actual[at] + ", reference "
                + reference[at] + " (largest difference " + worst + ")");
    }
}
