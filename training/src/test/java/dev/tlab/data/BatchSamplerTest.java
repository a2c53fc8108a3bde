package dev.tlab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchSamplerTest {

    private static int[] corpus(int length) {
        SplittableRandom random = new SplittableRandom(5);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = random.nextInt(100);
        }
        return tokens;
    }

    /** The draw runs made before samplers took a TokenSequence: their batches must not change. */
    private static long[][] formerBatch(int[] tokens, int batchSize, int context, long seed, long step, int micro) {
        SplittableRandom random = new SplittableRandom(BatchSampler.mix(seed, step, micro));
        long[] inputs = new long[batchSize * context];
        long[] targets = new long[batchSize * context];
        int starts = tokens.length - context;
        for (int row = 0; row < batchSize; row++) {
            int start = random.nextInt(starts);
            for (int t = 0; t < context; t++) {
                inputs[row * context + t] = tokens[start + t];
                targets[row * context + t] = tokens[start + t + 1];
            }
        }
        return new long[][] {inputs, targets};
    }

    @Test
    void batchesAreBitIdenticalToTheFormerArraySampler() {
        int[] tokens = corpus(5000);
        BatchSampler fromArray = new BatchSampler(tokens, 6, 32, 11);
        BatchSampler fromSequence = new BatchSampler(TokenSequence.of(tokens), 6, 32, 11);
        for (long step = 0; step < 20; step++) {
            for (int micro = 0; micro < 2; micro++) {
                long[][] former = formerBatch(tokens, 6, 32, 11, step, micro);
                assertArrayEquals(former[0], fromArray.sample(step, micro).inputs());
                assertArrayEquals(former[1], fromArray.sample(step, micro).targets());
                assertArrayEquals(former[0], fromSequence.sample(step, micro).inputs());
                assertArrayEquals(former[1], fromSequence.sample(step, micro).targets());
            }
        }
    }

    @Test
    void sequencesLongerThanIntRangeDrawStartsBeyondIt() {
        long length = 6_000_000_000L;
        // Token i is i mod 1000, so a window's first input tells where it started (mod 1000).
        TokenSequence huge = new TokenSequence() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public void copy(long start, int[] out, int offset, int count) {
                assertTrue(start >= 0 && start + count <= length, "window inside the sequence");
                for (int i = 0; i < count; i++) {
                    out[offset + i] = (int) ((start + i) % 1000);
                }
            }
        };
        BatchSampler sampler = new BatchSampler(huge, 64, 4, 3);
        int beyond = 0;
        for (long step = 0; step < 10; step++) {
            BatchSampler.Batch batch = sampler.sample(step, 0);
            for (int i = 0; i < batch.inputs().length; i++) {
                assertEquals((batch.inputs()[i] + 1) % 1000, batch.targets()[i]);
            }
        }
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            long start = BatchSampler.start(random, length - 4);
            assertTrue(start >= 0 && start < length - 4);
            beyond += start > Integer.MAX_VALUE ? 1 : 0;
        }
        assertTrue(beyond > 500, "starts cover the whole sequence, " + beyond + " of 1000 beyond 2^31");
    }

    /** Masked-LM windows as drawn before samplers took a TokenSequence. */
    private static long[] formerMaskedInputs(int[] tokens, int batchSize, int context, int vocabSize, int maskId,
            double fraction, long seed, long step) {
        SplittableRandom random = new SplittableRandom(BatchSampler.mix(seed, step, 0));
        long[] inputs = new long[batchSize * context];
        for (int row = 0; row < batchSize; row++) {
            int start = random.nextInt(tokens.length - context + 1);
            int chosen = 0;
            for (int t = 0; t < context; t++) {
                int i = row * context + t;
                inputs[i] = tokens[start + t];
                if (random.nextDouble() < fraction || (t == context - 1 && chosen == 0)) {
                    chosen++;
                    double r = random.nextDouble();
                    inputs[i] = r < 0.8 ? maskId : r < 0.9 ? random.nextInt(vocabSize) : tokens[start + t];
                }
            }
        }
        return inputs;
    }

    @Test
    void maskedWindowsAreBitIdenticalToTheFormerArrayDraw() {
        int[] tokens = corpus(3000);
        MaskedWindows fromArray = new MaskedWindows(tokens, 4, 16, 100, 100, 0.15, 9);
        MaskedWindows fromSequence = new MaskedWindows(TokenSequence.of(tokens), 4, 16, 100, 100, 0.15, 9);
        for (long step = 0; step < 10; step++) {
            MaskedWindows.Batch a = fromArray.sample(step, 0);
            MaskedWindows.Batch b = fromSequence.sample(step, 0);
            assertArrayEquals(formerMaskedInputs(tokens, 4, 16, 100, 100, 0.15, 9, step), a.inputs());
            assertArrayEquals(a.inputs(), b.inputs());
            assertArrayEquals(a.targets(), b.targets());
            assertArrayEquals(a.weights(), b.weights());
        }
    }
}
