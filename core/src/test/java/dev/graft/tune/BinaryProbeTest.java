package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cross-fitted two-class probe behind the pool filter. */
class BinaryProbeTest {
    /**
     * 6 positives around +1 (no fold) then 40 negatives (folds 0..4 in turn), of which the first 10 are copies of
     * the positives' region: unlabelled positives, as a pool holds them.
     */
    private static float[][] features(boolean[] positive, int[] fold) {
        Random random = new Random(5);
        float[][] x = new float[46][6];
        for (int i = 0; i < 46; i++) {
            float centre = i < 16 ? 1 : -1;
            for (int j = 0; j < 6; j++) {
                x[i][j] = (j < 3 ? centre : 0) + (float) random.nextGaussian() * 0.6f;
            }
            positive[i] = i < 6;
            fold[i] = i < 6 ? -1 : (i - 6) % 5;
        }
        return x;
    }

    @Test
    void scoresEveryFoldedRowOutOfFoldAndNoOther() {
        boolean[] positive = new boolean[46];
        int[] fold = new int[46];
        float[][] x = features(positive, fold);
        for (double[] grid : new double[][] {ProbeHead.LAMBDAS, {100}, {1e-3}}) {
            BinaryProbe.OutOfFold o = BinaryProbe.crossFit(x, positive, fold, 5, grid, dev.graft.runtime.Progress.NONE);
            double[] p = o.probabilities();
            for (int i = 0; i < 6; i++) {
                assertTrue(Double.isNaN(p[i]), "row " + i + " has no fold: not scored");
            }
            int ordered = 0;
            for (int i = 6; i < 46; i++) {
                assertTrue(p[i] >= 0 && p[i] <= 1, "row " + i + ": " + p[i]);
                for (int j = 16; j < 46 && i < 16; j++) {
                    ordered += p[i] > p[j] ? 1 : 0;
                }
            }
            // unlabelled positives outrank the true negatives at every penalty: each is scored by a classifier that
            // was not told it is negative
            assertTrue(ordered >= 0.9 * 10 * 30, "λ " + o.lambda() + ": " + ordered + " of 300 pairs ordered");
            assertTrue(o.cvFolds() == 5 && o.cvAuc() > 0.5 && o.cvAuc() <= 1, "AUC " + o.cvAuc());
        }
        BinaryProbe.OutOfFold a = BinaryProbe.crossFit(x, positive, fold, 5);
        BinaryProbe.OutOfFold b = BinaryProbe.crossFit(x, positive, fold, 5);
        assertEquals(a.lambda(), b.lambda());
        for (int i = 6; i < 46; i++) {
            assertEquals(a.probabilities()[i], b.probabilities()[i], 0, "deterministic");
        }
    }

    private static void assertMessage(Runnable call, String part) {
        GraftException e = assertThrows(GraftException.class, call::run);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }

    @Test
    void shapesAreChecked() {
        float[][] x = {{1, 0}, {0, 1}, {0.1f, 1}, {1, 0.2f}};
        boolean[] positive = {true, false, false, false};
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {-1, 0, 1}, 2), "4 feature rows but 4 classes and 3 folds");
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {-1, 0, 1, 0}, 1), "folds must be at least 2");
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {-1, 0, 0, 0}, 2), "fold 1 holds no row");
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {-1, 0, 1, 2}, 2), "row 3 has fold 2");
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {0, 1, 1, 1}, 2),
                "the training rows of fold 0 are all negative");
        assertMessage(() -> BinaryProbe.crossFit(new float[][] {{1, 0}, {0}, {1, 1}, {0, 0}}, positive,
                new int[] {-1, 0, 1, 0}, 2), "feature row 1 has 1 values; expected 2");
        assertMessage(() -> BinaryProbe.crossFit(x, positive, new int[] {-1, 0, 1, 0}, 2, new double[] {}, dev.graft.runtime.Progress.NONE), "λ grid");
    }
}
