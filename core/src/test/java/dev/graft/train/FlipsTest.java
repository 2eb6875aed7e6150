package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlipsTest {
    private static final List<String> CLASSES = List.of("a", "b", "c");
    // example:            0  1  2  3  4  5  6  7  8  9
    private static final int[] GOLD = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
    private static final int[] OLD = {0, 0, 1, 1, 0, 1, 2, 2, 0, 1};
    private static final int[] NEW = {0, 1, 0, 1, 0, 2, 1, 0, 2, 0};

    @Test
    void countsFlipsOnAHandComputedCase() {
        // old right: 0 1 3 5 6 7 (6/10); new right: 0 2 3 8 (4/10)
        // negative (old right, new wrong): 1 5 6 7; positive (old wrong, new right): 2 8
        // same prediction: 0 3 4 (4 is wrong for both); 9 is wrong for both but differently
        Flips f = Flips.of(CLASSES, GOLD, OLD, NEW);
        assertEquals(10, f.examples());
        assertEquals(0.6, f.oldAccuracy(), 1e-12);
        assertEquals(0.4, f.newAccuracy(), 1e-12);
        assertEquals(4, f.negativeFlips());
        assertEquals(2, f.positiveFlips());
        assertEquals(0.4, f.negativeFlipRate(), 1e-12);
        assertEquals(0.2, f.positiveFlipRate(), 1e-12);
        assertEquals(0.3, f.agreement(), 1e-12);
        assertEquals(f.newAccuracy() - f.oldAccuracy(), f.positiveFlipRate() - f.negativeFlipRate(), 1e-12,
                "accuracy change = PFR - NFR");
        assertEquals(0.4 / (0.6 * 0.6), f.relativeNegativeFlipRate(), 1e-12);
        assertEquals(4 / 6.0, f.regressionShare(), 1e-12);
        assertArrayEquals(new int[] {3, 3, 4}, f.support());
        assertArrayEquals(new int[] {1, 1, 2}, f.negativeByClass());
        assertArrayEquals(new int[] {1, 0, 1}, f.positiveByClass());
        assertArrayEquals(new int[] {1, 5, 6, 7}, f.negativeIndices());
        assertArrayEquals(new int[] {2, 8}, f.positiveIndices());
    }

    @Test
    void identicalModelsHaveNoFlipsAndFullAgreement() {
        Flips f = Flips.of(CLASSES, GOLD, OLD, OLD);
        assertEquals(0, f.negativeFlipRate());
        assertEquals(0, f.positiveFlipRate());
        assertEquals(1, f.agreement());
        assertEquals(0, f.relativeNegativeFlipRate());
        // a perfect new model has no errors: the share of its errors that regress is undefined
        assertTrue(Double.isNaN(Flips.of(CLASSES, GOLD, OLD, GOLD).regressionShare()));
        assertTrue(Double.isNaN(Flips.of(CLASSES, GOLD, OLD, GOLD).relativeNegativeFlipRate()));
    }

    @Test
    void refusesMismatchedOrOutOfRangeInput() {
        GraftException e = assertThrows(GraftException.class, () -> Flips.of(CLASSES, GOLD, OLD, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("10, 10 and 2"), e.getMessage());
        e = assertThrows(GraftException.class, () -> Flips.of(CLASSES, new int[] {3}, new int[] {0}, new int[] {0}));
        assertTrue(e.getMessage().contains("gold[0] = 3") && e.getMessage().contains("[0, 3)"), e.getMessage());
        assertThrows(GraftException.class, () -> Flips.of(CLASSES, new int[0], new int[0], new int[0]));
    }
}
