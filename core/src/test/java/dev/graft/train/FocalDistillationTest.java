package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import org.junit.jupiter.api.Test;

class FocalDistillationTest {
    @Test
    void weighsTheExamplesTheOldModelGotRight() {
        int[] gold = {0, 1, 2, 1};
        int[] old = {0, 0, 2, 2};
        assertArrayEquals(new float[] {6f, 1f, 6f, 1f}, FocalDistillation.weights(gold, old, 1, 5));
        assertArrayEquals(new float[] {1f, 0f, 1f, 0f}, FocalDistillation.weights(gold, old, 0, 1), "alpha 0: only old-correct");
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, FocalDistillation.weights(gold, old, 0.5, 0), "beta 0: plain distillation");
        float[][] probs = {{0.9f, 0.1f, 0f}, {0.6f, 0.3f, 0.1f}, {0.1f, 0.2f, 0.7f}, {0.2f, 0.3f, 0.5f}};
        assertArrayEquals(new float[] {3f, 1f, 3f, 1f}, FocalDistillation.weights(gold, probs, 1, 2), "argmax of the probabilities");
    }

    @Test
    void refusesNegativeOrNonFiniteParametersAndMismatchedLengths() {
        int[] g = {0};
        for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            GraftException a = assertThrows(GraftException.class, () -> FocalDistillation.weights(g, g, bad, 1));
            assertTrue(a.getMessage().contains("alpha must be a finite number >= 0"), a.getMessage());
            GraftException b = assertThrows(GraftException.class, () -> FocalDistillation.weights(g, g, 1, bad));
            assertTrue(b.getMessage().contains("beta must be"), b.getMessage());
        }
        GraftException e = assertThrows(GraftException.class, () -> FocalDistillation.weights(g, new int[] {0, 1}, 1, 1));
        assertTrue(e.getMessage().contains("gold has 1 entries but the old predictions 2"), e.getMessage());
    }
}
