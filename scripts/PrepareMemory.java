import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code generate DIR MB} writes a text corpus of MB megabytes (files of 64 MB, one document each):
 * common English words with accents, CJK, an emoji, numbers and punctuation mixed in, so every
 * tokenizer path is exercised. Run by scripts/PrepareMemory.sh, which then measures {@code tlab
 * prepare} on it.
 */
public class PrepareMemory {

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !args[0].equals("generate")) {
            throw new IllegalArgumentException("usage: generate DIR MB");
        }
        generate(Path.of(args[1]), Long.parseLong(args[2]));
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
}
