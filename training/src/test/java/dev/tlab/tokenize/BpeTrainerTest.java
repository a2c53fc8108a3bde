package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    @Test
    void vocabularyIsExactlyTheRequestedSizeWithTheSeparatorLast() {
        for (int vocabSize : new int[] {257, 300, 1000}) {
            ByteLevelBpe bpe = ByteLevelBpeTest.train(TestTexts.shakespeare(20_000), vocabSize);
            assertEquals(vocabSize, bpe.vocabSize());
            assertEquals(vocabSize - 1, bpe.documentSeparator());
            assertEquals(vocabSize - 257, bpe.merges().size());
        }
    }

    @Test
    void mostFrequentPairMergesFirstAndTiesGoToTheSmallerBytes() {
        // Pairs: (a b) 3 times, (c d) 3 times, (x y) once. The tie goes to (a b): 'a' < 'c'.
        BpeTrainer trainer = new BpeTrainer(256 + 2 + 1);
        trainer.add("ab\nab\nab\ncd\ncd\ncd\nxy");
        ByteLevelBpe bpe = trainer.train();
        assertArrayEquals(new int[] {256}, bpe.encode("ab"));
        assertArrayEquals(new int[] {257}, bpe.encode("cd"));
        assertArrayEquals(new int[] {'x', 'y'}, bpe.encode("xy"));
    }

    @Test
    void wordsCountByHowOftenTheyOccur() {
        // (q z) is in one distinct word seen 4 times; (a b) in 3 distinct words seen once each.
        BpeTrainer trainer = new BpeTrainer(256 + 1 + 1);
        trainer.add("qz\nqz\nqz\nqz\nabc\nabd\nabe");
        ByteLevelBpe bpe = trainer.train();
        assertArrayEquals(new int[] {256}, bpe.encode("qz"));
        assertArrayEquals(new int[] {'a', 'b'}, bpe.encode("ab"));
    }

    @Test
    void textInChunksTrainsTheSameAsWholeText() {
        String text = TestTexts.shakespeare(30_000).replace("\n\n", "\r\n<|endoftext|>\r\n")
                + "   they're  \t<|endoftext|>wait?!<|endoftext|>  \r\n<|endoftext|>x"
                + TestTexts.random(new Random(5), 3000) + " never ends<|endo";
        BpeTrainer whole = new BpeTrainer(700);
        whole.add(text);
        String expected = whole.train().fingerprint();

        Random random = new Random(1);
        for (int trial = 0; trial < 6; trial++) {
            BpeTrainer chunked = new BpeTrainer(700);
            int longest = trial < 3 ? 8 : 200;
            for (int at = 0; at < text.length(); ) {
                // Chunks cut words, space runs, CRLF and <|endoftext|> anywhere.
                int end = Math.min(text.length(), at + 1 + random.nextInt(longest));
                if (Character.isHighSurrogate(text.charAt(end - 1)) && end < text.length()) {
                    end++;
                }
                chunked.add(text.substring(at, end));
                at = end;
            }
            assertEquals(expected, chunked.train().fingerprint(), "trial " + trial);
        }
    }

    @Test
    void specialTokensInTheTextAreNotLearned() {
        BpeTrainer trainer = new BpeTrainer(400, "<|pad|>");
        trainer.add("<|endoftext|>hello world<|pad|>".repeat(200) + TestTexts.shakespeare(5_000));
        ByteLevelBpe bpe = trainer.train();
        assertEquals(398, bpe.documentSeparator());
        assertArrayEquals(new int[] {398, 399}, bpe.encode("<|endoftext|><|pad|>"));
        for (int id = 256; id < 398; id++) {
            String token = bpe.decode(new int[] {id});
            assertFalse(token.contains("|"), "learned token " + id + " is " + token);
        }
    }

    @Test
    void aVocabularyTooSmallForBytesAndSpecialsIsRefusedNamingTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256));
        assertEquals("data.vocab_size 256 is too small for a byte-level BPE: the minimum is 257"
                + " (256 byte tokens + 1 special token)", e.getMessage());
        var two = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(257, "<|pad|>"));
        assertTrue(two.getMessage().contains("minimum is 258"), two.getMessage());
    }

    @Test
    void textWithTooFewPairsIsRefused() {
        BpeTrainer trainer = new BpeTrainer(1000);
        trainer.add("abc abc");
        var e = assertThrows(IllegalArgumentException.class, trainer::train);
        assertTrue(e.getMessage().contains("data.vocab_size 1000"), e.getMessage());
    }

    @Test
    void specialTokensMustLookLikeSpecialTokens() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, "[PAD]"));
        assertTrue(e.getMessage().contains("[PAD]") && e.getMessage().contains("<|name|>"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000, "<|endoftext|>"));
    }

    @Test
    void differentTextGivesADifferentFingerprint() {
        ByteLevelBpe a = ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 400);
        ByteLevelBpe b = ByteLevelBpeTest.train(TestTexts.shakespeare(20_000), 400);
        assertEquals(a.fingerprint(), ByteLevelBpeTest.train(TestTexts.shakespeare(10_000), 400).fingerprint());
        assertNotEquals(a.fingerprint(), b.fingerprint());
    }
}
