package dev.graft.train;

import dev.graft.GraftException;
import java.util.Locale;

/**
 * Learning rate per step: linear warm-up towards the peak over {@code warmupSteps}, then linear or cosine decay to
 * 0 at {@code totalSteps} (the schedules of BERT fine-tuning and of HF's get_linear/cosine_schedule_with_warmup).
 *
 * <p>One deliberate difference from HF: HF's first warm-up update has rate 0 and changes nothing. Update {@code s}
 * here has the rate HF gives update {@code s + 1} of the same schedule with one more warm-up step and one more step
 * in all; without warm-up the two are equal step for step (LearningRateScheduleTest checks both against HF).
 */
public record LearningRateSchedule(Kind kind, double peak, long warmupSteps, long totalSteps) {
    /** Shape of the decay after warm-up. */
    public enum Kind {
        LINEAR, COSINE, CONSTANT;

        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new GraftException("unknown schedule '" + s + "'; expected linear, cosine or constant");
            }
        }
    }

    public LearningRateSchedule {
        if (!(peak > 0) || Double.isInfinite(peak)) {
            throw new GraftException("learning rate must be a positive number, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps <= 0) {
            throw new GraftException("warm-up steps must be >= 0 and total steps > 0");
        }
    }

    /** Learning rate for update number {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (double) (warmupSteps + 1);
        }
        if (kind == Kind.CONSTANT) {
            return peak;
        }
        double progress = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
        return kind == Kind.LINEAR ? peak * (1 - progress) : peak * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
