package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The engine's GEMM path computes the same centred Gram as the plain-Java kernel, over several blocks. */
class EngineGramTest {
    @Test
    void equalsTheJavaKernelAcrossBlocks() {
        int n = 9001; // two full blocks of 4096 and a partial one
        int d = 33;
        Random r = new Random(5);
        double[][] x = new double[n][d];
        double[] mean = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = 2 * r.nextGaussian() + j * 0.1;
                mean[j] += row[j] / n;
            }
        }
        double[] engine = EngineGram.centred(x, mean);
        double[] java = Dense.javaCentredGram(x, mean);
        double scale = 0;
        for (double v : java) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < java.length; i++) {
            assertEquals(java[i], engine[i], 1e-12 * scale, "element " + i);
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(engine[j * d + i], engine[i * d + j], 0, "exactly symmetric");
            }
        }
        assertTrue((long) n * d * d < Dense.ENGINE_GRAM_MIN_WORK, "called directly: the dispatch would keep this size in Java");
    }
}
