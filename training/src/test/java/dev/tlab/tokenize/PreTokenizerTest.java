package dev.tlab.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    private static final Pattern REGEX = Pattern.compile(PreTokenizer.GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

    @Test
    void splitsAsGpt2sPattern() {
        assertEquals(List.of("Hello", ",", " world", "'s", "  ", " end", "\r\n\t", " 42", "!!", " "),
                pieces("Hello, world's   end\r\n\t 42!! "));
        // GPT-2's contractions are lower case only.
        assertEquals(List.of("they", "'re", " don", "'t", " I", "'", "M"), pieces("they're don't I'M"));
    }

    @Test
    void scanFindsTheRegexsPiecesOnAnyText() {
        List<String> texts = new ArrayList<>(TestTexts.tricky());
        Random random = new Random(17);
        String awkward = "' sdtmrevl\t\n\r\u00a0\u0085\u2028\u3000\u200d,.!0٣\ud83d\ude00\ud83d\udc4d\ud800\udc00é";
        for (int i = 0; i < 3000; i++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(30);
            for (int j = 0; j < length; j++) {
                text.append(awkward.charAt(random.nextInt(awkward.length())));
            }
            texts.add(text.toString());
            texts.add(TestTexts.random(random, 40));
        }
        texts.add("lone \ud800 surrogates \udc00\ud800x");
        for (String text : texts) {
            assertEquals(regexPieces(text, 0, text.length()), pieces(text), () -> "pieces of " + text);
            int from = text.isEmpty() ? 0 : random.nextInt(text.length());
            int to = from + random.nextInt(text.length() - from + 1);
            if (!Character.isLowSurrogate(at(text, from)) && !Character.isLowSurrogate(at(text, to))) {
                assertEquals(regexPieces(text, from, to), pieces(text, from, to), () -> "pieces of a region of " + text);
            }
        }
    }

    private static char at(String text, int i) {
        return i < text.length() ? text.charAt(i) : ' ';
    }

    private static List<String> pieces(String text) {
        return pieces(text, 0, text.length());
    }

    private static List<String> pieces(String text, int from, int to) {
        List<String> pieces = new ArrayList<>();
        PreTokenizer.split(text, from, to, (start, end) -> pieces.add(text.substring(start, end)));
        return pieces;
    }

    private static List<String> regexPieces(String text, int from, int to) {
        List<String> pieces = new ArrayList<>();
        Matcher matcher = REGEX.matcher(text).region(from, to);
        while (matcher.find()) {
            pieces.add(matcher.group());
        }
        return pieces;
    }
}
