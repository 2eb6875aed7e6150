package dev.graft.distill;

import dev.graft.GraftException;
import java.util.Locale;

/**
 * Which model each example is distilled toward. Plain knowledge distillation always follows the teacher; Roth et al.'s
 * data partitioning ("Fantastic Gains and Where to Find Them: On the Existence and Prospect of General Knowledge
 * Transfer between Any Pretrained Model", ICLR 2024; KL-Dist + DP) follows the teacher only where the teacher is more
 * confident than the student was before the transfer, and elsewhere the student's own original distribution, so the
 * student gains the teacher's complementary knowledge without forgetting its own.
 */
public enum Partition {
    /** Every example's target is the teacher's distribution. */
    NONE,
    /**
     * The teacher's distribution where its probability of the true class (or, without a label, its top probability)
     * is higher than the original student's; else the original student's own distribution.
     */
    CONFIDENCE;

    public static Partition parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "none", "off", "kd" -> NONE;
            case "confidence", "dp" -> CONFIDENCE;
            default -> throw new GraftException("--partition must be none or confidence, got '" + s + "'");
        };
    }

    /**
     * Per example, whether the teacher is followed.
     *
     * @param teacher [N][C] the teacher's class probabilities
     * @param student [N][C] the original student's class probabilities (ignored for {@link #NONE})
     * @param gold    [N] the true class index, or −1 where the example has no label
     */
    public boolean[] followTeacher(float[][] teacher, float[][] student, int[] gold) {
        boolean[] out = new boolean[teacher.length];
        for (int i = 0; i < out.length; i++) {
            if (this == NONE) {
                out[i] = true;
            } else if (gold[i] >= 0) {
                out[i] = teacher[i][gold[i]] > student[i][gold[i]];
            } else {
                out[i] = max(teacher[i]) > max(student[i]);
            }
        }
        return out;
    }

    static float max(float[] p) {
        float m = Float.NEGATIVE_INFINITY;
        for (float x : p) {
            m = Math.max(m, x);
        }
        return m;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
