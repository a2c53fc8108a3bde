package dev.tlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Texts that tokenizers get wrong: the js-tiktoken fixture's, a slice of Shakespeare, and random ones. */
final class TestTexts {

    private TestTexts() {}

    /** The js-tiktoken fixture: {"cases": [{"text", "ids"}]}. */
    static JsonNode gpt2Fixture() {
        try (InputStream in = TestTexts.class.getResourceAsStream("/tokenize/gpt2-tiktoken.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A byte-level BPE trained and saved by Python's tokenizers (scripts/hf-fixture). */
    static Path hfTrainedTokenizer() {
        return resource("/tokenize/hf-trained/tokenizer.json");
    }

    /** Python tokenizers' ids for fixed texts with {@link #hfTrainedTokenizer}: {"cases": [{"text", "ids"}]}. */
    static JsonNode hfTrainedIds() {
        try {
            return new ObjectMapper().readTree(resource("/tokenize/hf-trained/ids.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ids(JsonNode fixtureCase) {
        int[] ids = new int[fixtureCase.path("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = fixtureCase.path("ids").get(i).asInt();
        }
        return ids;
    }

    private static Path resource(String name) {
        try {
            return Path.of(TestTexts.class.getResource(name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's texts plus a few more edge cases. */
    static List<String> tricky() {
        List<String> texts = new ArrayList<>();
        gpt2Fixture().path("cases").forEach(c -> texts.add(c.path("text").asText()));
        texts.addAll(List.of(" ", "  ", "\n", "\r\n", "\t", "a", " a", "a ", "\u0085 next line, \ufeff bom",
                "mixed\r\n\ttabs \u00a0and\u2028separators\u2029", "'s 're's'", "<|endoftext|><|endoftext|>",
                "<|endo", "tail<|endoftext|", "🏳️‍🌈🧑🏽‍💻", "9999999999 3,14 ٣٤٥ ½"));
        return texts;
    }

    static String shakespeare(int chars) {
        try {
            return Files.readString(Path.of("../examples/data/tinyshakespeare/input.txt")).substring(0, chars);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A random valid string: code points from ASCII, Latin, CJK, emoji, controls and whitespace. */
    static String random(Random random, int codePoints) {
        int[][] ranges = {{0x20, 0x7E}, {0x00, 0x1F}, {0xA0, 0x17F}, {0x4E00, 0x4E80}, {0x1F600, 0x1F64F},
            {0x2000, 0x200F}, {0x0600, 0x0660}, {0x1F3FB, 0x1F3FF}};
        String spaces = "   \t\n\r";
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            int kind = random.nextInt(ranges.length + 2);
            if (kind >= ranges.length) {
                text.append(spaces.charAt(random.nextInt(spaces.length())));
            } else {
                int[] range = ranges[kind];
                text.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
            }
        }
        return text.toString();
    }
}
