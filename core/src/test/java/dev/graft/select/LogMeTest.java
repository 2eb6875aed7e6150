package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class LogMeTest {

    /** The evidence L(α, β)/n computed naively from its definition with dense matrices (independent of LogMe). */
    static double naiveEvidence(double[][] f, double[] y, double alpha, double beta) {
        int n = f.length;
        int d = f[0].length;
        DMatrixRMaj F = new DMatrixRMaj(f);
        DMatrixRMaj Y = new DMatrixRMaj(n, 1, true, y);
        DMatrixRMaj A = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(F, F, A);
        CommonOps_DDRM.scale(beta, A);
        for (int i = 0; i < d; i++) {
            A.add(i, i, alpha);
        }
        DMatrixRMaj fty = new DMatrixRMaj(d, 1);
        CommonOps_DDRM.multTransA(F, Y, fty);
        DMatrixRMaj m = new DMatrixRMaj(d, 1);
        CommonOps_DDRM.solve(A, fty, m);
        CommonOps_DDRM.scale(beta, m);
        DMatrixRMaj fm = new DMatrixRMaj(n, 1);
        CommonOps_DDRM.mult(F, m, fm);
        double res = 0;
        for (int i = 0; i < n; i++) {
            res += (fm.get(i) - y[i]) * (fm.get(i) - y[i]);
        }
        double mm = 0;
        for (int i = 0; i < d; i++) {
            mm += m.get(i) * m.get(i);
        }
        double logDet = Math.log(CommonOps_DDRM.det(A));
        return (n / 2.0 * Math.log(beta) + d / 2.0 * Math.log(alpha) - n / 2.0 * Math.log(2 * Math.PI)
                - beta / 2 * res - alpha / 2 * mm - logDet / 2) / n;
    }

    /** max over (α, β) of the naive evidence: a log-space grid, then alternating golden-section searches. */
    static double bruteForceMax(double[][] f, double[] y) {
        double bestA = 0;
        double bestB = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (double la = -12; la <= 12; la += 0.25) {
            for (double lb = -12; lb <= 12; lb += 0.25) {
                double v = naiveEvidence(f, y, Math.exp(la), Math.exp(lb));
                if (v > best) {
                    best = v;
                    bestA = la;
                    bestB = lb;
                }
            }
        }
        for (int round = 0; round < 200; round++) {
            final double fb = bestB;
            bestA = golden(la -> naiveEvidence(f, y, Math.exp(la), Math.exp(fb)), bestA - 1, bestA + 1);
            final double fa = bestA;
            bestB = golden(lb -> naiveEvidence(f, y, Math.exp(fa), Math.exp(lb)), bestB - 1, bestB + 1);
        }
        return naiveEvidence(f, y, Math.exp(bestA), Math.exp(bestB));
    }

    static double golden(java.util.function.DoubleUnaryOperator g, double lo, double hi) {
        double phi = (Math.sqrt(5) - 1) / 2;
        double a = lo;
        double b = hi;
        for (int i = 0; i < 100; i++) {
            double c = b - phi * (b - a);
            double d = a + phi * (b - a);
            if (g.applyAsDouble(c) > g.applyAsDouble(d)) {
                b = d;
            } else {
                a = c;
            }
        }
        return (a + b) / 2;
    }

    static double bruteForceLogMe(SelectData s) {
        double total = 0;
        for (int k = 0; k < s.numClasses; k++) {
            double[] y = new double[s.labels.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = s.labels[i] == k ? 1 : 0;
            }
            total += bruteForceMax(s.features, y);
        }
        return total / s.numClasses;
    }

    @Test
    void matchesBruteForceMaximisationOfTheEvidence() {
        SelectData s = SelectData.clusters(40, 5, 3, 1.0, 7);
        double logme = new LogMe().score(s.features, s.labels, s.numClasses);
        double brute = bruteForceLogMe(s);
        assertEquals(brute, logme, 1e-8 * Math.abs(brute), "LogME " + logme + " vs brute force " + brute);
    }

    @Test
    void matchesBruteForceWhenFeaturesOutnumberExamples() {
        // n < d: FᵀF is singular (the zero eigen-directions must drop out exactly), and F can fit y exactly, so for one
        // of the classes the evidence keeps rising as β → ∞ toward a supremum that LogME computes in closed form. The
        // grid search cannot reach β = ∞ (and the naive determinant loses digits there), so it may only come close
        // from below.
        SelectData s = SelectData.clusters(12, 20, 2, 1.0, 11);
        double logme = new LogMe().score(s.features, s.labels, s.numClasses);
        double brute = bruteForceLogMe(s);
        assertTrue(logme >= brute - 1e-12 * Math.abs(brute), "LogME " + logme + " below brute force " + brute);
        assertEquals(brute, logme, 1e-6 * Math.abs(brute), "LogME " + logme + " vs brute force " + brute);
    }

    @Test
    void matchesBruteForceWhenTheFeaturesExplainNothing() {
        // centred noise features and a target with a non-zero mean: the best model is w = 0 (α → ∞), reached only in
        // the limit; LogME evaluates that limit in closed form, the grid approaches it from below
        java.util.Random r = new java.util.Random(13);
        double[][] f = new double[200][3];
        int[] y = new int[200];
        for (int i = 0; i < 200; i++) {
            y[i] = i % 4;
            for (int j = 0; j < 3; j++) {
                f[i][j] = r.nextGaussian();
            }
        }
        SelectData s = new SelectData(f, y, 4);
        double logme = new LogMe().score(f, y, 4);
        double brute = bruteForceLogMe(s);
        assertTrue(logme >= brute - 1e-12 * Math.abs(brute), "LogME " + logme + " below brute force " + brute);
        assertEquals(brute, logme, 1e-6 * Math.abs(brute));
    }

    @Test
    void invariantToRelabellingTheClasses() {
        SelectData s = SelectData.clusters(200, 16, 5, 1.0, 3);
        int[] perm = {3, 0, 4, 1, 2};
        int[] relabelled = new int[s.labels.length];
        for (int i = 0; i < relabelled.length; i++) {
            relabelled[i] = perm[s.labels[i]];
        }
        double a = new LogMe().score(s.features, s.labels, 5);
        double b = new LogMe().score(SelectData.copy(s.features), relabelled, 5);
        assertEquals(a, b, 1e-12 * Math.abs(a));
    }

    @Test
    void regressionOnOneHotTargetsEqualsClassification() {
        SelectData s = SelectData.clusters(150, 10, 3, 1.0, 5);
        double[][] onehot = new double[s.labels.length][3];
        for (int i = 0; i < onehot.length; i++) {
            onehot[i][s.labels[i]] = 1;
        }
        double cls = new LogMe().score(s.features, s.labels, 3);
        double reg = LogMe.regression(SelectData.copy(s.features), onehot);
        assertEquals(cls, reg, 1e-12 * Math.abs(cls));
    }

    @Test
    void regressionMatchesBruteForce() {
        SelectData s = SelectData.clusters(30, 4, 2, 1.0, 9);
        double[][] t = new double[30][1];
        double[] y = new double[30];
        for (int i = 0; i < 30; i++) {
            y[i] = 2 * s.features[i][0] - s.features[i][2] + 0.3 * Math.sin(i);
            t[i][0] = y[i];
        }
        double brute = bruteForceMax(s.features, y);
        double reg = LogMe.regression(s.features, t);
        assertEquals(brute, reg, 1e-8 * Math.abs(brute));
    }

    @Test
    void regressionRejectsBadTargets() {
        SelectData s = SelectData.clusters(20, 3, 2, 1.0, 4);
        double[][] t = new double[20][1];
        t[3][0] = Double.NaN;
        var ex = org.junit.jupiter.api.Assertions.assertThrows(dev.graft.GraftException.class,
                () -> LogMe.regression(s.features, t));
        assertTrue(ex.getMessage().contains("targets[3][0] is NaN"), ex.getMessage());
        var short_ = org.junit.jupiter.api.Assertions.assertThrows(dev.graft.GraftException.class,
                () -> LogMe.regression(s.features, new double[19][1]));
        assertTrue(short_.getMessage().contains("expected 20 rows"), short_.getMessage());
        var zero = org.junit.jupiter.api.Assertions.assertThrows(dev.graft.GraftException.class,
                () -> LogMe.regression(s.features, new double[20][1]));
        assertTrue(zero.getMessage().contains("all zero"), zero.getMessage());
    }

    @Test
    void separatedTaskScoresHigherThanShuffled() {
        SelectData s = SelectData.clusters(300, 16, 4, 3.0, 1);
        double good = new LogMe().score(s.features, s.labels, 4);
        SelectData sh = s.shuffled(2);
        double bad = new LogMe().score(sh.features, sh.labels, 4);
        assertTrue(good > bad, good + " <= " + bad);
    }
}
