package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class StandardizationTest {
    /** Features [n, 4]: two ordinary ones, one constant up to rounding noise (as in all-minilm-l6-v2), one exactly constant. */
    private static double[] features(int n) {
        Random random = new Random(3);
        double[] x = new double[n * 4];
        for (int i = 0; i < n; i++) {
            x[i * 4] = 0.05 * random.nextGaussian();
            x[i * 4 + 1] = 0.3 + 0.04 * random.nextGaussian();
            x[i * 4 + 2] = -0.7 + 2.5e-9 * random.nextGaussian();
            x[i * 4 + 3] = 1.25;
        }
        return x;
    }

    @Test
    void foldedHeadComputesTheSameLogitsOnRawFeatures() {
        int n = 50;
        double[] x = features(n);
        Standardization s = Standardization.of(x, n, 4);
        double[] z = s.apply(x);
        double[] packed = {0.8, -1.1, 3.0, 2.0, 0.25, /* second output */ -0.4, 0.6, -5.0, 7.0, -0.5};
        float[] w = s.weight(packed, 2);
        float[] b = s.bias(packed, 2);
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < 2; o++) {
                double onZ = packed[o * 5 + 4];
                double onX = b[o];
                for (int j = 0; j < 4; j++) {
                    onZ += packed[o * 5 + j] * z[i * 4 + j];
                    onX += w[o * 4 + j] * x[i * 4 + j];
                }
                assertEquals(onZ, onX, 1e-5);
            }
        }
    }

    @Test
    void featuresConstantUpToRoundingAreLeftOutRatherThanAmplified() {
        int n = 50;
        double[] x = features(n);
        Standardization s = Standardization.of(x, n, 4);
        double[] z = s.apply(x);
        for (int i = 0; i < n; i++) {
            assertEquals(0, z[i * 4 + 2], 0, "near-constant feature");
            assertEquals(0, z[i * 4 + 3], 0, "constant feature");
            assertTrue(Math.abs(z[i * 4]) < 5 && Math.abs(z[i * 4 + 1]) < 5);
        }
        float[] w = s.weight(new double[] {1, 1, 1, 1, 0}, 1);
        assertEquals(0, w[2], 0);
        assertEquals(0, w[3], 0);
        assertEquals(1 / s.scale()[0], w[0], 1e-3);
    }
}
