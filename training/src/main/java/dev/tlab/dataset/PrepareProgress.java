package dev.tlab.dataset;

/**
 * How far a prepare has come.
 *
 * @param stage what is reading the source: {@link #ENCODE}, or {@link #TRAIN_BPE} before it
 * @param bytesDone source bytes whose tokens are written
 * @param bytesTotal source bytes in all
 * @param tokens tokens written
 * @param seconds since encoding began
 */
public record PrepareProgress(String stage, long bytesDone, long bytesTotal, long tokens, double seconds) {

    public static final String ENCODE = "prepare";
    public static final String TRAIN_BPE = "train BPE";

    /** Progress of encoding. */
    public PrepareProgress(long bytesDone, long bytesTotal, long tokens, double seconds) {
        this(ENCODE, bytesDone, bytesTotal, tokens, seconds);
    }

    public double megabytesPerSecond() {
        return seconds > 0 ? bytesDone / 1e6 / seconds : 0;
    }

    /** Seconds left at the rate so far; NaN before there is a rate. */
    public double etaSeconds() {
        return bytesDone > 0 ? seconds * Math.max(0, bytesTotal - bytesDone) / bytesDone : Double.NaN;
    }

    public boolean finished() {
        return bytesDone >= bytesTotal;
    }
}
