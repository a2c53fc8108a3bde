import dev.tlab.files.DurableFiles;
import java.nio.file.*;
import java.util.*;

/** Usage: java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/ShardHashCost.java CORPUS_DIR PREPARED_DIR. Times SHA-256 (DurableFiles.sha256) over every file of the given directories, twice, alternating. */
public class ShardHashCost {
    public static void main(String[] args) throws Exception {
        for (int round = 0; round < 2; round++) {
            for (String d : args) {
                List<Path> files;
                try (var s = Files.list(Path.of(d))) { files = s.filter(p -> p.toString().endsWith(".bin") || p.toString().endsWith(".txt")).sorted().toList(); }
                long bytes = 0; long t0 = System.nanoTime();
                for (Path f : files) { DurableFiles.sha256(f); bytes += Files.size(f); }
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "round %d %s: %d files, %.0f MB in %.2f s = %.0f MB/s%n", round, d, files.size(), bytes / 1e6, s, bytes / 1e6 / s);
            }
        }
    }
}
