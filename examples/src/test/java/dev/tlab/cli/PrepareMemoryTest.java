package dev.tlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tlab prepare} streams: a corpus several times larger than the heap prepares in a process of its own. */
class PrepareMemoryTest {

    private static final int HEAP_MB = 64;
    private static final long CORPUS_BYTES = 80_000_000;

    @TempDir Path dir;

    @Test
    void aCorpusLargerThanTheHeapPrepares() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("big"));
        long written = 0;
        String[] words = "the of and to in a is that for it as was with be by on not he über café naïve 日本語 🙂 1984 --".split(" ");
        SplittableRandom random = new SplittableRandom(1);
        try (BufferedWriter out = Files.newBufferedWriter(corpus.resolve("one.txt"), StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            while (written < CORPUS_BYTES) {
                line.setLength(0);
                for (int w = random.nextInt(4, 20); w > 0; w--) {
                    line.append(words[random.nextInt(words.length)]).append(w > 1 ? ' ' : '\n');
                }
                out.append(line);
                written += line.toString().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx" + HEAP_MB + "m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "prepare", "../configs/shakespeare-gpt2.yaml", "--set", "data.path=" + corpus,
                "--set", "data.cache=" + dir.resolve("tokens"), "--set", "output.dir=" + dir.resolve("runs"))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), output);
        // The corpus is 80 MB of UTF-8 (160 MB as Java chars): held whole, it would not fit a 64 MB heap.
        // (A 32 MB heap is too small even for one chunk in flight: Prepare.chunksInFlight keeps at least
        // one, about 16 MB while encoded, beside GPT-2's tables.)
        assertEquals(0, process.exitValue(), output);
        var meta = new ObjectMapper().readTree(dir.resolve("tokens/big.gpt2/meta.json").toFile());
        long tokens = meta.at("/splits/train/tokens").asLong() + meta.at("/splits/val/tokens").asLong();
        assertTrue(tokens > CORPUS_BYTES / 8, "tokens " + tokens + "\n" + output);
    }
}
