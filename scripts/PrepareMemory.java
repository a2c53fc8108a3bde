import dev.tlab.dataset.ConsoleProgress;
import dev.tlab.dataset.Prepare;
import dev.tlab.dataset.PrepareListener;
import dev.tlab.dataset.PrepareProgress;
import dev.tlab.dataset.PrepareRequest;
import dev.tlab.dataset.Prepared;
import dev.tlab.dataset.TextSources;
import dev.tlab.tokenize.Tokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streaming prepare under a small heap: {@code generate DIR MB} writes a text corpus of MB megabytes
 * (files of 64 MB), {@code prepare DIR OUT THREADS} prepares it and prints the throughput. Run by
 * scripts/PrepareMemory.sh, which measures the peak resident memory.
 *
 * The tokenizer splits text as GPT-2 does before its merges (the same regular expression) and
 * hashes each piece into 50,256 ids, so the pipeline does real per-character work; a trained BPE
 * tokenizer does more (its merges), so expect its MB/s to be lower and the memory to be the same.
 */
public class PrepareMemory {

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "generate" -> generate(Path.of(args[1]), Long.parseLong(args[2]));
            case "prepare" -> prepare(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("usage: generate DIR MB | prepare DIR OUT THREADS");
        }
    }

    static void generate(Path dir, long megabytes) throws IOException {
        Files.createDirectories(dir);
        String[] words = ("the of and to in a is that for it as was with be by on not he this are or his from at which"
                + " but have an they you were her she there been one all we their has would when if so no will more about"
                + " über café naïve 日本語 数据 🙂 1984 2024 3.14 don't it's we're (see) [note] {x} -- ; : ! ?").split(" ");
        SplittableRandom random = new SplittableRandom(1);
        long target = megabytes * 1_000_000;
        long written = 0;
        for (int file = 0; written < target; file++) {
            try (BufferedWriter out = Files.newBufferedWriter(dir.resolve(String.format("part-%04d.txt", file)), StandardCharsets.UTF_8)) {
                long inFile = 0;
                StringBuilder line = new StringBuilder();
                while (inFile < 64_000_000 && written + inFile < target) {
                    line.setLength(0);
                    for (int w = random.nextInt(4, 20); w > 0; w--) {
                        line.append(words[random.nextInt(words.length)]).append(w > 1 ? ' ' : '\n');
                    }
                    if (random.nextInt(12) == 0) {
                        line.append('\n');
                    }
                    out.append(line);
                    inFile += line.toString().getBytes(StandardCharsets.UTF_8).length;
                }
                written += inFile;
            }
        }
        System.out.printf(Locale.ROOT, "generated %,d bytes in %s%n", written, dir);
    }

    static void prepare(Path corpus, Path out, int threads) {
        TextSources source = TextSources.resolve("data.path", corpus.toString(), Path.of("."), null);
        PrepareRequest request = PrepareRequest.of(source, new PretokenHash(), out).withThreads(threads);
        PrintWriter console = new PrintWriter(System.out, true);
        PrepareProgress[] last = {null};
        ConsoleProgress bar = new ConsoleProgress(console, false);
        PrepareListener listener = new PrepareListener() {
            @Override
            public void progress(PrepareProgress progress) {
                last[0] = progress;
                bar.progress(progress);
            }

            @Override
            public void message(String text) {
                bar.message(text);
            }
        };
        long start = System.nanoTime();
        Prepared prepared = Prepare.run(request, listener);
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = source.totalBytes();
        System.out.printf(Locale.ROOT, "%s %,d bytes with %d threads and -Xmx%dm in %.1f s: %.1f MB/s overall, %,d tokens%n",
                prepared.reused() ? "reused" : "prepared", bytes, threads, Runtime.getRuntime().maxMemory() >> 20, seconds,
                bytes / 1e6 / seconds, prepared.shards().train().length() + prepared.shards().val().length());
    }

    /** GPT-2's pre-tokenization, each piece hashed to an id; 50256 separates documents. */
    static final class PretokenHash implements Tokenizer {
        private static final Pattern PIECES =
                Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

        @Override
        public String kind() {
            return "pretoken-hash";
        }

        @Override
        public int vocabSize() {
            return 50257;
        }

        @Override
        public int[] encode(String text) {
            int[] ids = new int[16];
            int n = 0;
            Matcher m = PIECES.matcher(text);
            while (m.find()) {
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, n * 2);
                }
                ids[n++] = Math.floorMod(text.substring(m.start(), m.end()).hashCode(), 50256);
            }
            return Arrays.copyOf(ids, n);
        }

        @Override
        public String decode(int[] ids) {
            throw new UnsupportedOperationException("hashed ids cannot be decoded");
        }

        @Override
        public int documentSeparator() {
            return 50256;
        }

        @Override
        public String fingerprint() {
            return "pretoken-hash-v1";
        }

        @Override
        public void save(Path dir) {}
    }
}
