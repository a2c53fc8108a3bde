package dev.tlab.profile;

import ai.djl.Device;
import dev.tlab.djl.DjlInternals;
import dev.tlab.models.TokenModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Profiles a few training steps ({@code train.profile_steps}). After {@link #WARMUP_STEPS}
 * untimed steps, {@code steps} steps are timed with the wall clock: the trainer marks the end of
 * each {@link Phase} with {@link #lap}, and the model's sublayer calls go through a
 * {@link WallClockTimer}. The step after that is traced once with PyTorch's profiler, with markers
 * around each sublayer, to split the backward pass by part ({@link BackwardTrace}); the timed
 * backward time is then shared out in those proportions.
 *
 * <p>When off, or on a step it does not profile, every call returns after one field read: no
 * clock, no sync, and the model's timer stays {@link SublayerTimer#OFF}.
 */
public final class StepProfiler {

    /** Steps run before timing starts; the first steps pay for allocation and kernel selection. */
    public static final int WARMUP_STEPS = 2;

    private enum Mode { IDLE, TIMING, TRACING }

    private final int steps;
    private final TokenModel model;
    private final Device device;
    private final DeviceSync sync;
    private final WallClockTimer clock;
    private final long[] phaseNanos = new long[Phase.values().length];
    private Mode mode = Mode.IDLE;
    private long started;
    private long last;
    private long stepStart;
    private long stepNanos;
    private long dataNanos;
    private long lossNanos;
    private MarkingTimer marking;
    private Path trace;
    private boolean tracing;
    private String traceError;
    private ProfileTable table;

    private StepProfiler(int steps, TokenModel model, Device device) {
        this.steps = steps;
        this.model = model;
        this.device = device;
        this.sync = device == null ? () -> {} : DeviceSync.of(device);
        this.clock = new WallClockTimer(sync);
    }

    /** Profiles {@code steps} steps of {@code model}'s training; 0 for none. */
    public static StepProfiler create(int steps, TokenModel model, Device device) {
        return steps == 0 ? off() : new StepProfiler(steps, model, device);
    }

    /** A profiler that never profiles. */
    public static StepProfiler off() {
        return new StepProfiler(0, null, null);
    }

    /** Steps a run needs for a profile of {@code steps} steps: warm-up, timed, traced. */
    public static int stepsNeeded(int steps) {
        return WARMUP_STEPS + steps + 1;
    }

    /** Called at the start of every step; steps count from the first this trainer runs (a resume's too). */
    public void startStep() {
        if (steps == 0) {
            return;
        }
        long step = started++;
        if (step >= WARMUP_STEPS && step < WARMUP_STEPS + steps) {
            mode = Mode.TIMING;
            clock.newPass();
            model.setTimer(clock);
            sync.await();
            stepStart = System.nanoTime();
            last = stepStart;
        } else if (step == WARMUP_STEPS + steps) {
            mode = Mode.TRACING;
            startTrace();
        }
    }

    /** Ends {@code phase}: the time since the previous lap (or the step's start) is its. */
    public void lap(Phase phase) {
        if (mode == Mode.IDLE) {
            return;
        }
        if (mode == Mode.TRACING) {
            // Only the first micro-batch is marked and traced; its shares stand for all.
            if (phase == Phase.FORWARD) {
                model.setTimer(SublayerTimer.OFF);
            } else if (phase == Phase.BACKWARD) {
                stopTrace();
            }
            return;
        }
        sync.await();
        long now = System.nanoTime();
        if (phase == Phase.FORWARD && clock.firstStart() >= 0) {
            dataNanos += clock.firstStart() - last;
            lossNanos += now - clock.lastEnd();
        }
        clock.newPass();
        phaseNanos[phase.ordinal()] += now - last;
        last = now;
    }

    /** @return whether this step finished the profile; {@link #table()} then has it */
    public boolean endStep() {
        if (mode == Mode.IDLE) {
            return false;
        }
        model.setTimer(SublayerTimer.OFF);
        Mode ended = mode;
        mode = Mode.IDLE;
        if (ended == Mode.TIMING) {
            sync.await();
            stepNanos += System.nanoTime() - stepStart;
            return false;
        }
        stopTrace();
        table = build();
        return true;
    }

    /** The finished profile, or null. */
    public ProfileTable table() {
        return table;
    }

    private void startTrace() {
        if (device.isGpu()) {
            traceError = "the backward pass is not split by part on a GPU (the trace would time kernel launches)";
            return;
        }
        try {
            trace = Files.createTempFile("tlab-trace", ".json");
            marking = new MarkingTimer();
            model.setTimer(marking);
            DjlInternals.startProfiler();
            tracing = true;
        } catch (IOException | RuntimeException | LinkageError e) {
            model.setTimer(SublayerTimer.OFF);
            traceError = "the backward pass is not split by part: cannot start PyTorch's profiler (" + e + ")";
        }
    }

    private void stopTrace() {
        if (tracing) {
            tracing = false;
            DjlInternals.stopProfiler(trace);
        }
    }

    private ProfileTable build() {
        double n = steps;
        Map<Part, Double> shares = null;
        String note = traceError;
        if (note == null) {
            try {
                shares = BackwardTrace.shares(trace, marking.marks());
                note = String.format(Locale.ROOT, "backward split by part from a PyTorch profiler trace of the next step");
            } catch (IOException | RuntimeException e) {
                note = "the backward pass is not split by part: " + e.getMessage();
            } finally {
                try {
                    Files.deleteIfExists(trace);
                } catch (IOException ignored) {
                    // A temporary file; the OS cleans it up.
                }
            }
        }
        double forwardMs = ms(phaseNanos[Phase.FORWARD.ordinal()]) / n;
        double backwardMs = ms(phaseNanos[Phase.BACKWARD.ordinal()]) / n;
        Map<Part, Double> forward = new EnumMap<>(Part.class);
        for (SublayerKind kind : SublayerKind.values()) {
            forward.put(Part.of(kind), ms(clock.nanos(kind)) / n);
        }
        forward.put(Part.DATA, ms(dataNanos) / n);
        forward.put(Part.LOSS, ms(lossNanos) / n);
        double accounted = forward.values().stream().mapToDouble(Double::doubleValue).sum();
        forward.put(Part.GLUE, Math.max(0, forwardMs - accounted));
        List<ProfileTable.Row> rows = new ArrayList<>();
        for (Part part : Part.values()) {
            if (forward.containsKey(part)) {
                double fwd = forward.get(part);
                double bwd = shares == null || part == Part.DATA ? Double.NaN : shares.getOrDefault(part, 0.0) * backwardMs;
                rows.add(new ProfileTable.Row(part, fwd, bwd, fwd + (Double.isNaN(bwd) ? 0 : bwd)));
            } else {
                double total = ms(phaseNanos[Phase.valueOf(part.name()).ordinal()]) / n;
                rows.add(new ProfileTable.Row(part, Double.NaN, Double.NaN, total));
            }
        }
        return new ProfileTable(rows, steps, WARMUP_STEPS + 1, device.toString(), note,
                shares == null ? backwardMs : 0, ms(stepNanos) / n);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
