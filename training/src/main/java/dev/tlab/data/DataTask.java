package dev.tlab.data;

import dev.tlab.models.ModelType;
import dev.tlab.util.EnumNames;
import java.util.Locale;

/** What a run learns, and from what data. */
public enum DataTask {
    /** Next-character prediction on the corpus (decoder). */
    LM(ModelType.DECODER),
    /** Masked-character prediction on the corpus, BERT-style (encoder). */
    MLM(ModelType.ENCODER),
    /** Synthetic: output the source string reversed (encoder_decoder). */
    REVERSE(ModelType.ENCODER_DECODER),
    /** Synthetic: output the source digits sorted (encoder_decoder). */
    SORT(ModelType.ENCODER_DECODER),
    /** Synthetic: output the sum of two decimal numbers (encoder_decoder). */
    ADD(ModelType.ENCODER_DECODER);

    private final ModelType model;

    DataTask(ModelType model) {
        this.model = model;
    }

    /** The model type this task trains. */
    public ModelType model() {
        return model;
    }

    public boolean synthetic() {
        return model == ModelType.ENCODER_DECODER;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DataTask parse(String value) {
        return EnumNames.parse(DataTask.class, "data.task", value);
    }
}
