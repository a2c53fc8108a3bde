package dev.tlab.data;

import dev.tlab.tokenize.CharTokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seq2seq problems generated on the fly, each a pure function of (seed, step, micro, row), so
 * there is no dataset to ship and no state to checkpoint. Tokens are characters: {@code _} pads,
 * {@code ^} starts the answer, {@code $} ends it.
 */
public final class SyntheticSeq2Seq {

    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final DataTask task;
    private final int minLength;
    private final int maxLength;
    private final long seed;
    private final CharTokenizer tokenizer;

    /** One problem: source and answer as token ids, without padding or markers. */
    public record Problem(int[] source, int[] answer) {}

    /**
     * A padded batch, row-major: source {@code [B, S]}, decoder input {@code ^answer} and target
     * {@code answer$}, both {@code [B, T]}, and 1/0 validity masks.
     */
    public record Batch(long[] source, long[] sourceValid, long[] targetIn, long[] targetOut, long[] targetValid,
            int batchSize, int sourceLength, int targetLength) {}

    public SyntheticSeq2Seq(DataTask task, int minLength, int maxLength, long seed) {
        if (!task.synthetic()) {
            throw new IllegalArgumentException("data.task = " + task + " is not a synthetic seq2seq task");
        }
        this.task = task;
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.seed = seed;
        this.tokenizer = new CharTokenizer(vocabulary(task));
    }

    /** Pad, start and end markers, then the task's symbols. */
    public static String vocabulary(DataTask task) {
        return "_^$" + switch (task) {
            case REVERSE -> "abcdefghijklmnopqrstuvwxyz";
            case SORT -> "0123456789";
            case ADD -> "0123456789+";
            default -> throw new IllegalArgumentException(task + " is not synthetic");
        };
    }

    /** Longest source, in tokens. */
    public int maxSourceLength() {
        return task == DataTask.ADD ? 2 * maxLength + 1 : maxLength;
    }

    /** Longest decoder sequence: the answer plus one marker. */
    public int maxTargetLength() {
        return (task == DataTask.ADD ? maxLength + 1 : maxLength) + 1;
    }

    public CharTokenizer tokenizer() {
        return tokenizer;
    }

    public Problem problem(SplittableRandom random) {
        int length = minLength + random.nextInt(maxLength - minLength + 1);
        String source;
        String answer;
        switch (task) {
            case REVERSE -> {
                source = letters(random, length, "abcdefghijklmnopqrstuvwxyz");
                answer = new StringBuilder(source).reverse().toString();
            }
            case SORT -> {
                source = letters(random, length, "0123456789");
                char[] sorted = source.toCharArray();
                Arrays.sort(sorted);
                answer = new String(sorted);
            }
            default -> {
                String a = number(random, length);
                String b = number(random, minLength + random.nextInt(maxLength - minLength + 1));
                source = a + "+" + b;
                answer = new java.math.BigInteger(a).add(new java.math.BigInteger(b)).toString();
            }
        }
        return new Problem(tokenizer.encode(source), tokenizer.encode(answer));
    }

    private static String letters(SplittableRandom random, int length, String alphabet) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    private static String number(SplittableRandom random, int digits) {
        StringBuilder s = new StringBuilder().append((char) ('1' + random.nextInt(9)));
        for (int i = 1; i < digits; i++) {
            s.append((char) ('0' + random.nextInt(10)));
        }
        return s.toString();
    }

    /** The problems of batch (step, micro). */
    public Problem[] problems(long step, int micro, int batchSize) {
        SplittableRandom random = new SplittableRandom(BatchSampler.mix(seed, step, micro));
        Problem[] problems = new Problem[batchSize];
        for (int i = 0; i < batchSize; i++) {
            problems[i] = problem(random);
        }
        return problems;
    }

    public Batch batch(long step, int micro, int batchSize) {
        return pad(problems(step, micro, batchSize));
    }

    /** Pads problems to the longest source and answer among them. */
    public static Batch pad(Problem[] problems) {
        int s = Arrays.stream(problems).mapToInt(p -> p.source().length).max().orElse(1);
        int t = Arrays.stream(problems).mapToInt(p -> p.answer().length).max().orElse(0) + 1;
        int n = problems.length;
        long[] source = new long[n * s];
        long[] sourceValid = new long[n * s];
        long[] targetIn = new long[n * t];
        long[] targetOut = new long[n * t];
        long[] targetValid = new long[n * t];
        for (int row = 0; row < n; row++) {
            int[] src = problems[row].source();
            for (int i = 0; i < src.length; i++) {
                source[row * s + i] = src[i];
                sourceValid[row * s + i] = 1;
            }
            int[] answer = problems[row].answer();
            targetIn[row * t] = BOS;
            for (int i = 0; i <= answer.length; i++) {
                if (i < answer.length) {
                    targetIn[row * t + i + 1] = answer[i];
                }
                targetOut[row * t + i] = i < answer.length ? answer[i] : EOS;
                targetValid[row * t + i] = 1;
            }
        }
        return new Batch(source, sourceValid, targetIn, targetOut, targetValid, n, s, t);
    }
}
