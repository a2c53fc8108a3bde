package dev.tlab.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.models.EncoderDecoder;
import dev.tlab.models.ModelConfig;
import dev.tlab.models.ModelType;
import dev.tlab.positional.PositionalKind;
import org.junit.jupiter.api.Test;

class Seq2SeqDecoderTest {

    private static final int BOS = 1;
    private static final int EOS = 2;

    @Test
    void cachedDecodingMatchesFullRecomputeGreedyAndSampled() {
        // Three sources of lengths 5, 3 and 2, padded with 0 to 5.
        long[] source = {3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 11, 3, 0, 0, 0};
        long[] valid = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0};
        for (PositionalKind scheme : new PositionalKind[] {PositionalKind.LEARNED, PositionalKind.RELATIVE,
                PositionalKind.ROPE, PositionalKind.ALIBI}) {
            Engine.getInstance().setRandomSeed(3);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                ModelConfig config = ModelConfig.builder().type(ModelType.ENCODER_DECODER).vocabSize(12).layers(2)
                        .encoderLayers(1).heads(2).dModel(16).context(6).positional(scheme).build();
                EncoderDecoder model = EncoderDecoder.create(config, manager);
                Seq2SeqDecoder decoder = new Seq2SeqDecoder(model, new ParameterStore(manager, false), manager);
                for (double temperature : new double[] {0, 1.5}) {
                    int[][] cached = decoder.cached(true).decode(source, valid, 3, 5, BOS, EOS, 20,
                            new TokenPicker(temperature, 0, 1, 7));
                    int[][] full = decoder.cached(false).decode(source, valid, 3, 5, BOS, EOS, 20,
                            new TokenPicker(temperature, 0, 1, 7));
                    for (int row = 0; row < 3; row++) {
                        assertArrayEquals(full[row], cached[row], scheme + ", temperature " + temperature + ", row " + row);
                        // Answers asked for up to 20 tokens, but the decoder has 6 positions.
                        assertTrue(cached[row].length <= 6, "answer longer than the context: " + cached[row].length);
                        for (int id : cached[row]) {
                            assertTrue(id != EOS, "the end marker is not part of the answer");
                        }
                    }
                }
            }
        }
    }
}
