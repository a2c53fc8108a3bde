package dev.tlab.train;

import ai.djl.engine.Engine;
import dev.tlab.djl.DjlInternals;
import java.util.function.Consumer;

/**
 * The one place that sets how many CPU threads one libtorch operation may use ({@code train.threads}).
 *
 * <p>libtorch splits an operation over an OpenMP team, one thread per core by default. Between
 * operations the team's threads spin-wait for the next one, by default long enough to hold cores
 * that another process sharing them needs: two runs on two cores then each ran at a twentieth of
 * their speed alone instead of half. Sleeping at once ({@code OMP_WAIT_POLICY=PASSIVE}) costs a run
 * alone a third; a short spin ({@code GOMP_SPINCOUNT=2000}, which OpenMP reads once, as libtorch
 * loads: {@code ./tlab} sets it) keeps both (docs/BENCHMARKS.md, "A shared CPU"). Fewer threads per
 * run is the other remedy ({@code train.threads}).
 *
 * <p>How an operation is split can change the last bits of its result, so a checkpoint records the
 * count it was trained with and a resume keeps it unless {@code train.threads} asks for another.
 */
public final class CpuThreads {

    /** {@code train.threads} when libtorch's own count (the machine's cores) is to be used. */
    public static final int AUTO = 0;

    private static int libtorchDefault = -1;

    private CpuThreads() {}

    /**
     * Sets the count for this process and returns it.
     *
     * @param setting {@code train.threads} ({@link #AUTO} or a count)
     * @param recorded the count a resumed checkpoint was trained with (0 when none or not recorded)
     * @param say where a note goes when the count differs from what the checkpoint was trained with
     */
    public static synchronized int apply(int setting, int recorded, Consumer<String> say) {
        if (libtorchDefault < 0) {
            Engine.getInstance(); // loads libtorch, which sets its count from the cores (or OMP_NUM_THREADS)
            libtorchDefault = DjlInternals.intraOpThreads();
        }
        int threads = setting != AUTO ? setting : recorded > 0 ? recorded : libtorchDefault;
        if (recorded > 0 && threads != recorded) {
            say.accept("train.threads: " + threads + " threads, the checkpoint was trained with " + recorded
                    + ": results will differ from an uninterrupted run's in the last bits");
        }
        if (DjlInternals.intraOpThreads() != threads) {
            DjlInternals.setIntraOpThreads(threads);
        }
        return threads;
    }

    /** The count in use now. */
    public static int current() {
        return DjlInternals.intraOpThreads();
    }

    /** For the start-up line: e.g. "2 CPU threads (train.threads), waiting passively". */
    public static String describe(int threads) {
        String policy = System.getenv("OMP_WAIT_POLICY");
        String spins = System.getenv("GOMP_SPINCOUNT");
        String waiting = policy != null && !policy.isBlank() ? "OMP_WAIT_POLICY=" + policy.strip()
                : spins != null && !spins.isBlank() ? "GOMP_SPINCOUNT=" + spins.strip()
                : "spin-waiting (set GOMP_SPINCOUNT=2000 when other work shares the cores; ./tlab does)";
        return threads + " CPU thread" + (threads == 1 ? "" : "s") + " (train.threads), " + waiting;
    }
}
