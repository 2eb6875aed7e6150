package dev.graft.carry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.GraftException;
import org.junit.jupiter.api.Test;

/** The agreement measures against values worked out by hand. */
class AgreementTest {
    @Test
    void classifierAgreementAndTotalVariation() {
        Agreement a = Agreement.ofPredictions(new float[][] {{0.9f, 0.1f}, {0.4f, 0.6f}}, new float[][] {{0.8f, 0.2f}, {0.6f, 0.4f}}, true);
        assertEquals(0.5, a.agreement(), 1e-12, "the second text changes class");
        assertEquals((0.1 + 0.2) / 2, a.meanTotalVariation(), 1e-6, "½·Σ|p − q|: 0.1 and 0.2");
        assertEquals(0.5, a.value(), 1e-12);
        assertEquals(0.9, a.defaultMinimum());
    }

    @Test
    void multiLabelComparesTheLabelSets() {
        Agreement a = Agreement.ofPredictions(new float[][] {{0.9f, 0.2f}, {0.7f, 0.7f}}, new float[][] {{0.6f, 0.4f}, {0.7f, 0.3f}}, false);
        assertEquals(0.5, a.agreement(), 1e-12, "{0} = {0}; {0, 1} != {0}");
        assertEquals(((0.3 + 0.2) / 2 + (0 + 0.4) / 2) / 2, a.meanTotalVariation(), 1e-6, "mean |p − q| per label");
    }

    @Test
    void embeddingCosineMeanAndFifthPercentile() {
        Agreement a = Agreement.ofEmbeddings(new float[][] {{1, 0}, {1, 0}, {1, 0}}, new float[][] {{2, 0}, {0, 3}, {1, 1}});
        double c = Math.sqrt(0.5);
        assertEquals((1 + 0 + c) / 3, a.meanCosine(), 1e-6);
        assertEquals(0 + 0.1 * c, a.p5Cosine(), 1e-6, "sorted 0, 0.707, 1: position 0.05·2 = 0.1, interpolated");
        assertEquals(0.95, a.defaultMinimum());
        assertEquals(a.meanCosine(), a.value());
    }

    @Test
    void rowsMustMatch() {
        assertThrows(GraftException.class, () -> Agreement.ofEmbeddings(new float[][] {{1}}, new float[][] {{1}, {2}}));
        assertThrows(GraftException.class, () -> Agreement.ofPredictions(new float[][] {{1, 0}}, new float[][] {{1}}, true));
    }
}
