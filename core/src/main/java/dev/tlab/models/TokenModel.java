package dev.tlab.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.tlab.layers.Dense;
import dev.tlab.layers.TokenEmbedding;
import dev.tlab.profile.SublayerKind;
import dev.tlab.profile.SublayerTimer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every tlab model shares: the token table, an LM head (tied or not), stacks, stable names. */
public abstract class TokenModel extends AbstractBlock {

    protected final ModelConfig config;
    protected final TokenEmbedding wte;
    private final List<Stack> stacks = new ArrayList<>();
    private Dense head;
    private SublayerTimer timer = SublayerTimer.OFF;

    protected TokenModel(ModelConfig config) {
        if (config.vocabSize() < 1) {
            throw new IllegalArgumentException("the model needs a vocabulary size; set it from the tokenizer");
        }
        this.config = config;
        wte = addChildBlock("wte", new TokenEmbedding(config.vocabSize(), config.dModel()));
    }

    /** Adds a stack whose parts are named {@code prefix + "h.0"} and so on. */
    Stack addStack(int depth, boolean causal, boolean cross, String prefix) {
        Stack stack = new Stack(config, depth, causal, cross, prefix, this::addChildBlock);
        stacks.add(stack);
        return stack;
    }

    /** Adds the untied LM head, when the config asks for one; call after the stacks. */
    protected void addHead() {
        if (!config.tieEmbeddings()) {
            head = addChildBlock("head", new Dense(config.dModel(), config.vocabSize(), 0.02, false));
        }
    }

    /** Token ids {@code [B, T]} to their vectors {@code [B, T, C]}. */
    protected NDArray embed(ParameterStore ps, NDArray tokens) {
        return timer.run(SublayerKind.EMBEDDING, tokens, t -> wte.forward(ps, t));
    }

    /** Hidden states {@code [B, T, C]} to logits {@code [B, T, vocab]}. */
    public NDArray logits(ParameterStore ps, NDArray hidden, boolean training) {
        return timer.run(SublayerKind.HEAD, hidden, h -> {
            if (head != null) {
                return head.forward(ps, h);
            }
            NDArray table = ps.getValue(wte.weight(), h.getDevice(), training);
            return h.getNDArrayInternal().linear(h, table, null).singletonOrThrow();
        });
    }

    /**
     * Routes every sublayer call (embedding, attention, FFN, norm, head) through {@code timer};
     * {@link SublayerTimer#OFF}, the default, only runs them.
     */
    public void setTimer(SublayerTimer timer) {
        this.timer = timer;
        for (Stack stack : stacks) {
            stack.setTimer(timer);
        }
    }

    public SublayerTimer timer() {
        return timer;
    }

    /** Parameters under stable, PyTorch-style names such as {@code h.0.attn.qkv.weight}. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> named = new LinkedHashMap<>();
        for (var pair : getParameters()) {
            named.put(ParameterNames.clean(pair.getKey()), pair.getValue());
        }
        return named;
    }

    public ModelConfig config() {
        return config;
    }

    /** Builds the parameters in {@code manager}, which then owns them and the cached tables. */
    protected void create(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, config.context()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0].add(config.dModel());
        wte.initialize(manager, dataType, inputShapes[0]);
        for (var child : getChildren().values()) {
            if (child != wte) {
                child.initialize(manager, dataType, hidden);
            }
        }
        for (Stack stack : stacks) {
            stack.bind(manager);
        }
    }
}
