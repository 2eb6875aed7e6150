package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every registered estimator: registry, separation, label permutation, and the shared degenerate-input rules. */
class EstimatorsTest {

    @Test
    void registryHasElevenUniqueLowercaseNamesWithReferences() {
        List<String> names = Estimators.names();
        assertEquals(List.of("logme", "hscore", "shrinkage-hscore", "transrate", "gbc", "gbc-spherical", "sfda", "nleep",
                "tmi", "knn", "linear-probe"), names);
        assertEquals(names.size(), new HashSet<>(names).size());
        for (Estimator e : Estimators.all()) {
            assertEquals(e, Estimators.byName(e.name().toUpperCase()));
            assertTrue(e.reference().contains("20") || e.reference().contains("19"), e.name());
        }
        GraftException ex = assertThrows(GraftException.class, () -> Estimators.byName("leap"));
        assertTrue(ex.getMessage().contains("logme"), ex.getMessage());
    }

    @Test
    void wellSeparatedTaskScoresHigherThanShuffledLabels() {
        SelectData good = SelectData.clusters(300, 16, 4, 2.0, 31);
        SelectData bad = good.shuffled(32);
        for (Estimator e : Estimators.all()) {
            if (e.name().equals("tmi")) {
                continue; // TMI rewards intra-class variance: see TmiTest
            }
            double g = e.score(good.features, good.labels, 4);
            double b = e.score(bad.features, bad.labels, 4);
            assertTrue(Double.isFinite(g) && Double.isFinite(b), e.name());
            assertTrue(g > b, e.name() + ": separated " + g + " <= shuffled " + b);
        }
    }

    @Test
    void invariantToRelabellingAndToAbsentClasses() {
        SelectData s = SelectData.clusters(120, 8, 3, 1.5, 33);
        int[] perm = {4, 0, 2};   // 3 classes spread over ids {0, 2, 4} of a 5-class task
        int[] y = new int[s.labels.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = perm[s.labels[i]];
        }
        for (Estimator e : Estimators.all()) {
            double a = e.score(s.features, s.labels, 3);
            double b = e.score(SelectData.copy(s.features), y, 5);
            if (e.name().equals("knn") || e.name().equals("linear-probe")) {
                // fold assignment and vote tie-breaks follow class order; accuracy may move by a few examples
                assertEquals(a, b, 0.05, e.name());
            } else {
                assertEquals(a, b, 1e-8 * Math.max(1, Math.abs(a)), e.name());
            }
        }
    }

    @Test
    void degenerateInputsGiveAClearError() {
        SelectData s = SelectData.clusters(40, 5, 2, 1.0, 34);
        for (Estimator e : Estimators.all()) {
            String n = e.name();
            assertError(e, s.features, new int[40], 2, "only 1 class", n);
            int[] single = s.labels.clone();
            single[0] = 2;
            assertError(e, s.features, single, 3, "class 2 has a single example", n);
            double[][] constant = new double[40][5];
            for (double[] r : constant) {
                java.util.Arrays.fill(r, 0.5);
            }
            assertError(e, constant, s.labels, 2, "identical", n);
            double[][] nan = SelectData.copy(s.features);
            nan[7][3] = Double.NaN;
            assertError(e, nan, s.labels, 2, "features[7][3] is NaN", n);
            double[][] inf = SelectData.copy(s.features);
            inf[1][0] = Double.POSITIVE_INFINITY;
            assertError(e, inf, s.labels, 2, "features[1][0] is Infinity", n);
            assertError(e, s.features, java.util.Arrays.copyOf(s.labels, 39), 2, "expected 40 labels", n);
            int[] out = s.labels.clone();
            out[5] = 7;
            assertError(e, s.features, out, 2, "labels[5] is 7", n);
            double[][] ragged = SelectData.copy(s.features);
            ragged[3] = new double[4];
            assertError(e, ragged, s.labels, 2, "row 3 has 4 values", n);
            assertError(e, new double[0][], new int[0], 2, "at least one row", n);
        }
    }

    @Test
    void constantColumnsAndDuplicateRowsGiveFiniteScores() {
        SelectData s = SelectData.clusters(80, 6, 2, 1.0, 35);
        for (double[] r : s.features) {
            r[1] = 3.0;
        }
        s.features[1] = s.features[0].clone();
        s.labels[1] = s.labels[0];
        for (Estimator e : Estimators.all()) {
            assertTrue(Double.isFinite(e.score(s.features, s.labels, 2)), e.name());
        }
    }

    @Test
    void fewerExamplesThanDimensionsGiveFiniteScores() {
        SelectData s = SelectData.clusters(30, 50, 3, 1.0, 36);
        for (Estimator e : Estimators.all()) {
            assertTrue(Double.isFinite(e.score(s.features, s.labels, 3)), e.name());
        }
    }

    @Test
    void sharedStatisticsFollowInPlaceChanges() {
        SelectData s = SelectData.clusters(100, 6, 2, 1.0, 37);
        double before = new HScore().score(s.features, s.labels, 2);
        for (double[] r : s.features) {
            r[0] = Math.sin(3 * r[0]) * r[1]; // mutate the same array: the cache must not return stale statistics
        }
        double after = new HScore().score(s.features, s.labels, 2);
        double fresh = new HScore().score(SelectData.copy(s.features), s.labels, 2);
        assertEquals(fresh, after, 1e-12 * Math.abs(fresh));
        assertTrue(Math.abs(before - after) > 1e-6);
    }

    private static void assertError(Estimator e, double[][] f, int[] y, int k, String fragment, String name) {
        GraftException ex = assertThrows(GraftException.class, () -> e.score(f, y, k), name + ": " + fragment);
        assertTrue(ex.getMessage().contains(fragment), name + ": '" + ex.getMessage() + "' lacks '" + fragment + "'");
    }
}
