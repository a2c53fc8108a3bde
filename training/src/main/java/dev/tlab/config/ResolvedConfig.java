package dev.tlab.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tlab.models.ModelKeys;
import java.util.Locale;

/**
 * A bound {@link RunConfig} written back as the tree {@link ConfigLoader} binds: every key of
 * {@code defaults.yaml} with the run's value, so {@code ConfigLoader.fromTree(tree(run))} is
 * {@code run} again.
 */
final class ResolvedConfig {

    private static final YAMLMapper YAML = new YAMLMapper();

    private ResolvedConfig() {}

    static ObjectNode tree(RunConfig run) {
        ObjectNode root = YAML.createObjectNode();
        root.put("name", run.name());

        root.set("model", ModelKeys.tree(run.model()));

        TrainConfig t = run.train();
        ObjectNode train = root.putObject("train");
        train.put("steps", t.steps());
        train.put("batch_size", t.batchSize());
        train.put("grad_accum", t.gradAccum());
        train.put("lr", t.lr());
        train.put("min_lr", t.minLr());
        train.put("warmup", t.warmup());
        train.put("decay_steps", t.decaySteps());
        train.put("extend", t.extend());
        train.put("weight_decay", t.weightDecay());
        train.putArray("betas").add(t.beta1()).add(t.beta2());
        train.put("eps", t.eps());
        train.put("grad_clip", t.gradClip());
        train.put("eval_every", t.evalEvery());
        train.put("eval_batches", t.evalBatches());
        train.put("log_every", t.logEvery());
        train.put("device", t.device());
        train.put("precision", t.precision());
        train.put("seed", t.seed());
        train.put("profile_steps", t.profileSteps());
        train.put("checkpoint_signal", t.checkpointSignal());
        train.put("stop_on_nan", t.stopOnNan());
        train.put("threads", t.threads());

        DataConfig d = run.data();
        ObjectNode data = root.putObject("data");
        data.put("task", d.task().toString());
        data.put("path", d.path().toString());
        data.put("tokenizer", d.tokenizer());
        data.put("vocab_size", d.vocabSize());
        data.put("tokenizer_file", d.tokenizerFile() == null ? "" : d.tokenizerFile().toString());
        data.put("newlines", d.newlines().toString());
        data.put("encoding", d.encoding().name());
        data.put("on_bad_file", d.onBadFile().toString());
        data.put("text_field", d.textField());
        data.put("val_path", d.valPath() == null ? "" : d.valPath().toString());
        data.put("cache", d.cache() == null ? "" : d.cache().toString());
        data.put("val_fraction", d.valFraction());
        data.put("mask_fraction", d.maskFraction());
        data.put("min_length", d.minLength());
        data.put("max_length", d.maxLength());
        data.put("format", d.format().toString());
        data.put("chat_template", d.chatTemplate() == null ? "" : d.chatTemplate().toString());
        data.put("loss_on", d.lossOn().toString());
        data.put("overlong", d.overlong().toString());
        data.put("packing", d.packing().toString());

        ObjectNode checkpoint = root.putObject("checkpoint");
        checkpoint.put("every", run.checkpoint().every());
        checkpoint.put("keep", run.checkpoint().keep());

        FinetuneConfig f = run.finetune();
        ObjectNode finetune = root.putObject("finetune");
        f.freeze().forEach(finetune.putArray("freeze")::add);
        finetune.put("vocab", f.vocab().name().toLowerCase(Locale.ROOT));
        finetune.put("resume_optimizer", f.resumeOptimizer());
        finetune.put("method", f.method().toString());
        ObjectNode lora = finetune.putObject("lora");
        lora.put("rank", f.lora().rank());
        lora.put("alpha", f.lora().alpha());
        lora.put("dropout", f.lora().dropout());
        f.lora().targets().forEach(lora.putArray("targets")::add);
        finetune.put("base_precision", f.basePrecision());

        SampleConfig s = run.sample();
        ObjectNode sample = root.putObject("sample");
        sample.put("prompt", s.prompt());
        sample.put("tokens", s.tokens());
        sample.put("temperature", s.temperature());
        sample.put("top_k", s.topK());
        sample.put("top_p", s.topP());
        sample.put("stop", s.stop());
        sample.put("context_limit", s.contextLimit().toString());

        root.putObject("metrics").put("tensorboard", run.metrics().tensorboard());

        root.putObject("output").put("dir", run.outputDir().toString());
        return root;
    }

    static String yaml(RunConfig run) {
        try {
            return YAML.writeValueAsString(tree(run));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
