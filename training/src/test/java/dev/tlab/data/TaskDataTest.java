package dev.tlab.data;

import dev.tlab.tokenize.CharTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TaskDataTest {

    @Test
    void syntheticAnswersAreRight() {
        SplittableRandom random = new SplittableRandom(1);
        for (DataTask task : new DataTask[] {DataTask.REVERSE, DataTask.SORT, DataTask.ADD}) {
            SyntheticSeq2Seq data = new SyntheticSeq2Seq(task, 2, 9, 5);
            CharTokenizer t = data.tokenizer();
            for (int i = 0; i < 200; i++) {
                var p = data.problem(random);
                String source = t.decode(p.source());
                String answer = t.decode(p.answer());
                String expected = switch (task) {
                    case REVERSE -> new StringBuilder(source).reverse().toString();
                    case SORT -> {
                        char[] c = source.toCharArray();
                        Arrays.sort(c);
                        yield new String(c);
                    }
                    default -> new BigInteger(source.split("\\+")[0]).add(new BigInteger(source.split("\\+")[1])).toString();
                };
                assertEquals(expected, answer, task + ": " + source);
                assertTrue(p.source().length <= data.maxSourceLength());
                assertTrue(p.answer().length + 1 <= data.maxTargetLength());
            }
        }
    }

    @Test
    void batchesArePaddedWithMarkersAndArePureFunctionsOfTheStep() {
        SyntheticSeq2Seq data = new SyntheticSeq2Seq(DataTask.REVERSE, 2, 5, 9);
        var a = data.batch(3, 1, 4);
        assertArrayEquals(a.source(), data.batch(3, 1, 4).source());
        assertTrue(!Arrays.equals(a.source(), data.batch(4, 1, 4).source()));
        int t = a.targetLength();
        for (int row = 0; row < 4; row++) {
            assertEquals(SyntheticSeq2Seq.BOS, a.targetIn()[row * t]);
            int length = 0;
            while (length < t && a.targetValid()[row * t + length] == 1) {
                length++;
            }
            // Decoder input is ^answer, target is answer$: shifted by one.
            assertEquals(SyntheticSeq2Seq.EOS, a.targetOut()[row * t + length - 1]);
            for (int i = 1; i < length; i++) {
                assertEquals(a.targetOut()[row * t + i - 1], a.targetIn()[row * t + i]);
            }
            for (int i = length; i < t; i++) {
                assertEquals(SyntheticSeq2Seq.PAD, a.targetOut()[row * t + i]);
            }
        }
    }

    @Test
    void maskedWindowsFollowBertProportions() {
        int[] tokens = new int[5000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % 20;
        }
        MaskedWindows windows = new MaskedWindows(tokens, 16, 64, 20, 20, 0.15, 3);
        int chosen = 0;
        int masked = 0;
        int kept = 0;
        int total = 0;
        for (int step = 0; step < 50; step++) {
            var b = windows.sample(step, 0);
            for (int i = 0; i < b.inputs().length; i++) {
                total++;
                if (b.weights()[i] > 0) {
                    chosen++;
                    masked += b.inputs()[i] == 20 ? 1 : 0;
                    kept += b.inputs()[i] == b.targets()[i] ? 1 : 0;
                } else {
                    assertEquals(b.targets()[i], b.inputs()[i], "unchosen positions show the token");
                }
            }
        }
        assertEquals(0.15, chosen / (double) total, 0.01);
        assertEquals(0.8, masked / (double) chosen, 0.02);
        assertEquals(0.1 + 0.1 / 20, kept / (double) chosen, 0.02);
    }
}
