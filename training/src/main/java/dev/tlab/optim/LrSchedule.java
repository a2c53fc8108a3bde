package dev.tlab.optim;

/**
 * Linear warmup to {@code peak}, then cosine decay to {@code floor} at {@code decayEnd}, then
 * flat (nanoGPT's {@code get_lr}). Steps count from 0.
 */
public record LrSchedule(double peak, double floor, int warmup, int decayEnd) {

    public double at(long step) {
        if (step < warmup) {
            return peak * (step + 1) / (warmup + 1);
        }
        if (step >= decayEnd) {
            return floor;
        }
        double progress = (double) (step - warmup) / Math.max(1, decayEnd - warmup);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return floor + cosine * (peak - floor);
    }
}
