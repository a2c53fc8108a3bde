package dev.tlab.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.tlab.config.RunConfig;
import dev.tlab.djl.DjlInternals;
import dev.tlab.optim.AdamW;
import dev.tlab.precision.TrainingPrecision;
import dev.tlab.train.StepSeeds;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.tokenize.Tokenizer;

/**
 * The checkpoints of one run: {@code step-NNNNNN/} every {@code checkpoint.every} steps and at
 * the end (the newest {@code checkpoint.keep} kept), and {@code best/} rewritten whenever an
 * evaluation reaches a new lowest validation loss. Carries the history (latest and best val loss)
 * that {@code state.json} records, so a resumed run continues it.
 */
public final class RunCheckpoints {

    private final Path dir;
    private final RunConfig config;
    private final Tokenizer tokenizer;
    private final Map<String, Parameter> parameters;
    private final AdamW optimizer;
    private final TrainingPrecision precision;
    private final String parent;
    /** Wall time of the run before this session (from the checkpoint resumed), and when this session began. */
    private final double priorSeconds;
    private final long started = System.nanoTime();
    private final BaseModel base;
    private double valLoss;
    private double bestValLoss;
    private long bestValStep;
    /** Step checkpoints known to validate, so that pruning hashes each one once. */
    private final Set<Path> verified = new HashSet<>();

    /**
     * @param parameters what the weights file holds: every parameter, or a LoRA run's adapter
     * @param precision saved for its loss scale
     */
    public RunCheckpoints(RunConfig config, Tokenizer tokenizer, Map<String, Parameter> parameters, AdamW optimizer,
            TrainingPrecision precision, RunStart.Progress progress) {
        this.dir = config.runDir().resolve("checkpoints");
        this.config = config;
        this.tokenizer = tokenizer;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.precision = precision;
        this.parent = progress.parent();
        this.priorSeconds = progress.wallSeconds();
        this.base = progress.base();
        this.valLoss = progress.valLoss();
        this.bestValLoss = progress.bestValLoss();
        this.bestValStep = progress.bestValStep();
    }

    /** Records an evaluation after {@code step} steps; a new lowest loss rewrites {@code best/}. */
    public void evaluated(long step, long tokensSeen, double loss) {
        valLoss = loss;
        // A diverged (NaN) evaluation is never the best, even as the first one.
        if (Double.isFinite(loss) && (Double.isNaN(bestValLoss) || loss < bestValLoss)) {
            bestValLoss = loss;
            bestValStep = step;
            CheckpointDirectory.write(dir, CheckpointDirectory.BEST, weights(), moments(), state(step, tokensSeen), tokenizer);
        }
    }

    /** Writes {@code step-NNNNNN/} and deletes what {@code checkpoint.keep} no longer keeps. */
    public Path save(long step, long tokensSeen) {
        Path written = CheckpointDirectory.write(dir, CheckpointDirectory.stepName(step), weights(), moments(), state(step, tokensSeen), tokenizer);
        CheckpointDirectory.prune(dir, config.checkpoint().keep(), written, verified);
        return written;
    }

    public double bestValLoss() {
        return bestValLoss;
    }

    private CheckpointState state(long step, long tokensSeen) {
        return new CheckpointState(CheckpointState.FORMAT_VERSION, step, optimizer.stepCount(), tokensSeen,
                config.train().seed(), StepSeeds.DESCRIPTION, valLoss, bestValLoss, bestValStep,
                precision.savedScale(), precision.savedGoodSteps(), null,
                tokenizer instanceof CharTokenizer characters ? characters.symbols() : null,
                CheckpointState.TokenizerInfo.of(tokenizer), config.tree(), Versions.tlab(), Versions.djl(), parent,
                DjlInternals.intraOpThreads(), priorSeconds + (System.nanoTime() - started) / 1e9, null, base);
    }

    private Map<String, NDArray> weights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        parameters.forEach((name, p) -> out.put(name, p.getArray()));
        return out;
    }

    private Map<String, NDArray> moments() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        optimizer.means().forEach((name, m) -> out.put(CheckpointDirectory.MEAN_PREFIX + name, m));
        optimizer.variances().forEach((name, v) -> out.put(CheckpointDirectory.VARIANCE_PREFIX + name, v));
        return out;
    }
}
