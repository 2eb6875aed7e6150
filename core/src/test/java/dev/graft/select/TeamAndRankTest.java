package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TeamAndRankTest {

    /** Four classes; model A separates {0,1} from {2,3}, model B separates {0,2} from {1,3}, model C is noise. */
    @Test
    void greedyTeamCombinesComplementaryModels() {
        Random r = new Random(61);
        int n = 400;
        int[] y = new int[n];
        double[][] a = new double[n][3];
        double[][] b = new double[n][3];
        double[][] c = new double[n][3];
        for (int i = 0; i < n; i++) {
            y[i] = i % 4;
            for (int j = 0; j < 3; j++) {
                a[i][j] = (y[i] < 2 ? -3 : 3) + r.nextGaussian();
                b[i][j] = (y[i] % 2 == 0 ? -3 : 3) + r.nextGaussian();
                c[i][j] = r.nextGaussian();
            }
        }
        TeamSelection.Result res = TeamSelection.greedy(List.of(c, a, b), y, 4, new LogMe(), 2);
        assertEquals(2, res.chosen().size());
        assertTrue(res.chosen().containsAll(List.of(1, 2)), res.chosen().toString());
        assertTrue(res.gain() > 0, "gain " + res.gain());
        assertEquals(res.scoreAfterEach().get(0), res.bestSingle(), 0);
        assertEquals(res.scoreAfterEach().get(1) - res.bestSingle(), res.gain(), 1e-15);
        assertThrows(GraftException.class, () -> TeamSelection.greedy(List.of(a, b), y, 4, new LogMe(), 3));
        assertThrows(GraftException.class, () -> TeamSelection.greedy(List.of(a, new double[3][3]), y, 4, new LogMe(), 1));
    }

    @Test
    void layerSelectionPicksTheInformativeLayer() {
        SelectData good = SelectData.clusters(200, 8, 4, 2.0, 62);
        SelectData noise = SelectData.clusters(200, 8, 4, 0.0, 63);
        LayerSelection.Result res = LayerSelection.rank(List.of(noise.features, good.features, noise.features),
                good.labels, 4, new HScore());
        assertEquals(1, res.best());
        assertEquals(3, res.scores().length);
    }

    @Test
    void kendallAndWeightedTauMatchScipy() {
        // reference values from scipy.stats.kendalltau / weightedtau (SciPy 1.17.1)
        double[] a1 = {0.1, 0.4, 0.35, 0.8, 0.5, 0.2};
        double[] b1 = {1, 3, 2, 6, 5, 4};
        assertEquals(0.7333333333333333, RankCorrelation.kendallTau(a1, b1), 1e-12);
        assertEquals(0.8285714285714285, RankCorrelation.weightedTau(a1, b1), 1e-12);
        double[] a2 = {1, 2, 2, 3, 5, 4, 4};
        double[] b2 = {2, 1, 3, 3, 6, 5, 4};
        assertEquals(0.8207826816681232, RankCorrelation.kendallTau(a2, b2), 1e-12);
        assertEquals(0.9027062132645588, RankCorrelation.weightedTau(a2, b2), 1e-12);
        double[] a3 = {1, 2, 3, 4, 5};
        double[] b3 = {3, 4, 1, 2, 5};
        assertEquals(0.2, RankCorrelation.kendallTau(a3, b3), 1e-12);
        assertEquals(0.437956204379562, RankCorrelation.weightedTau(a3, b3), 1e-12);
        double[] rev = {5, 4, 3, 2, 1};
        assertEquals(-1, RankCorrelation.kendallTau(a3, rev), 1e-15);
        assertEquals(-1, RankCorrelation.weightedTau(a3, rev), 1e-15);
    }

    @Test
    void top1Hit() {
        assertTrue(RankCorrelation.top1Hit(new double[] {0.1, 0.9, 0.3}, new double[] {70, 85, 80}));
        assertFalse(RankCorrelation.top1Hit(new double[] {0.1, 0.9, 0.3}, new double[] {70, 80, 85}));
        assertTrue(RankCorrelation.top1Hit(new double[] {0.1, 0.9, 0.3}, new double[] {85, 85, 80})); // tie at the top
        assertThrows(GraftException.class, () -> RankCorrelation.kendallTau(new double[] {1}, new double[] {1}));
        assertThrows(GraftException.class, () -> RankCorrelation.top1Hit(new double[] {1, Double.NaN}, new double[] {1, 2}));
    }
}
