package dev.graft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How far apart two engines' (or paths') outputs are. */
public final class Differences {
    private Differences() {
    }

    /** The largest absolute difference between a and b [rows][columns], which must have the same shape. */
    public static double maxAbs(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return worst;
    }
}
