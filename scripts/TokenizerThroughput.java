import dev.tlab.tokenize.BpeTrainer;
import dev.tlab.tokenize.ByteLevelBpe;
import dev.tlab.tokenize.Gpt2Tokenizer;
import dev.tlab.tokenize.HfTokenizer;
import dev.tlab.tokenize.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Speed of the tokenizers on one text file: BPE training time (counting the words, then merging),
 * and single-thread encoding throughput of gpt2, the trained bpe, and hf (the same bpe's
 * tokenizer.json run by Hugging Face's Rust library), which must also give the bpe's ids.
 *
 * From the repository root, once {@code ./tlab --version} has built the jar:
 * <pre>
 *   java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/TokenizerThroughput.java FILE [VOCAB_SIZE]
 * </pre>
 * VOCAB_SIZE defaults to 4096. The text is read whole, then handled in chunks of about 1 MB cut at
 * line ends, as {@code tlab prepare} would. For a 100 MB text, repeat a small one, e.g.
 * {@code for i in $(seq 92); do cat examples/data/tinyshakespeare/input.txt; done > /tmp/100mb.txt}.
 */
public class TokenizerThroughput {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int vocabSize = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        String text = Files.readString(file);
        List<String> chunks = chunks(text, 1 << 20);
        double megabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        System.out.printf("%s: %.1f MB in %d chunks, %d cores%n", file, megabytes, chunks.size(),
                Runtime.getRuntime().availableProcessors());

        long start = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(vocabSize);
        chunks.forEach(trainer::add);
        long counted = System.nanoTime();
        ByteLevelBpe bpe = trainer.train();
        long trained = System.nanoTime();
        System.out.printf("bpe training, vocab %d: %.2f s (counting words %.2f s, merging %.2f s)%n", vocabSize,
                (trained - start) / 1e9, (counted - start) / 1e9, (trained - counted) / 1e9);

        Path dir = Files.createTempDirectory("tlab-tokenizer");
        bpe.save(dir);
        try (HfTokenizer hf = HfTokenizer.load(dir.resolve(Tokenizer.FILE))) {
            List<int[]> gpt2Ids = time("gpt2", Gpt2Tokenizer.get(), chunks, megabytes);
            List<int[]> bpeIds = time("bpe", bpe, chunks, megabytes);
            List<int[]> hfIds = time("hf", hf, chunks, megabytes);
            boolean same = true;
            for (int i = 0; i < chunks.size(); i++) {
                same &= Arrays.equals(bpeIds.get(i), hfIds.get(i));
            }
            System.out.printf("hf ids %s bpe ids; gpt2 made %d tokens%n", same ? "equal" : "DIFFER FROM",
                    gpt2Ids.stream().mapToLong(ids -> ids.length).sum());
        }
    }

    /** Encodes 4 chunks (repeating a shorter text) to warm up the JIT, then every chunk timed. */
    private static List<int[]> time(String name, Tokenizer tokenizer, List<String> chunks, double megabytes) {
        for (int i = 0; i < 4; i++) {
            tokenizer.encode(chunks.get(i % chunks.size()));
        }
        List<int[]> ids = new ArrayList<>(chunks.size());
        long start = System.nanoTime();
        for (String chunk : chunks) {
            ids.add(tokenizer.encode(chunk));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long tokens = ids.stream().mapToLong(a -> a.length).sum();
        System.out.printf("%-4s encode: %6.1f MB/s (%.2f s, %d tokens, %.2f bytes/token)%n", name,
                megabytes / seconds, seconds, tokens, megabytes * 1e6 / tokens);
        return ids;
    }

    /** Pieces of about {@code size} chars, each ending at a line end where there is one. */
    private static List<String> chunks(String text, int size) {
        List<String> chunks = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = Math.min(text.length(), start + size);
            int newline = text.indexOf('\n', end);
            end = end == text.length() ? end : newline < 0 ? text.length() : newline + 1;
            chunks.add(text.substring(start, end));
            start = end;
        }
        return chunks;
    }
}
