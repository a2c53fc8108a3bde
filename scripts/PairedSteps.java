import dev.tlab.config.ConfigLoader;
import dev.tlab.config.RunConfig;
import dev.tlab.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Paired A/B timing of two code paths inside one training run, for changes too small to see across
 * separate runs on a noisy machine. The code under test reads {@code Boolean.getBoolean("tlab.ab")}
 * (false: A, true: B); this flips the property in blocks of steps in the order A B B A, so slow
 * phases of the machine hit both sides alike, and reports mean ms/step per side and the median of
 * B/A over the groups of four blocks. With no code reading the property, B/A is the null result.
 *
 * From the repository root, once {@code ./tlab --version} has built the jar:
 * <pre>
 *   java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/PairedSteps.java [STEPS [BLOCK [KEY=VALUE...]]]
 * </pre>
 * STEPS defaults to 800 and BLOCK to 10; KEY=VALUE overrides the baby config (configs/shakespeare-char.yaml).
 */
public class PairedSteps {
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 800;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int skip = 3 * block;
        List<String> sets = new ArrayList<>(List.of("train.steps=" + steps, "train.eval_every=" + steps,
                "checkpoint.every=0", "sample.tokens=0", "output.dir=" + System.getProperty("java.io.tmpdir")
                        + "/tlab-paired-" + System.nanoTime()));
        sets.addAll(List.of(args).subList(Math.min(2, args.length), args.length));
        RunConfig run = ConfigLoader.load(Path.of("configs/shakespeare-char.yaml"), sets);
        double[] total = new double[2];
        int[] count = new int[2];
        double[] group = new double[2];
        List<Double> ratios = new ArrayList<>();
        long[] last = {System.nanoTime()};
        boolean[] sideB = {false};
        System.setProperty("tlab.ab", "false");
        new Trainer(run, null, false).onStep((done, manager) -> {
            long now = System.nanoTime();
            int side = sideB[0] ? 1 : 0;
            if (done > skip && done < steps) {
                total[side] += now - last[0];
                count[side]++;
                group[side] += now - last[0];
            }
            if (done > skip && done % (4 * block) == 0) {
                if (group[0] > 0 && group[1] > 0) {
                    ratios.add(group[1] / group[0]);
                }
                group[0] = group[1] = 0;
            }
            long phase = (done / block) % 4;
            sideB[0] = phase == 1 || phase == 2;
            System.setProperty("tlab.ab", String.valueOf(sideB[0]));
            last[0] = System.nanoTime();
        }).fit();
        double a = total[0] / count[0] / 1e6;
        double b = total[1] / count[1] / 1e6;
        double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("A %.2f ms/step (%d steps), B %.2f ms/step (%d steps): B/A %.3f; median of %d paired"
                        + " groups %.3f (quartiles %.3f, %.3f)%n", a, count[0], b, count[1], b / a, sorted.length,
                sorted[sorted.length / 2], sorted[sorted.length / 4], sorted[3 * sorted.length / 4]);
    }
}
