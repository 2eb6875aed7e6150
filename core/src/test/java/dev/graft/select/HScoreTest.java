package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class HScoreTest {

    /** Unbiased covariance of rows, computed two-pass. */
    static DMatrixRMaj cov(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] m = new double[d];
        for (double[] r : x) {
            for (int j = 0; j < d; j++) {
                m[j] += r[j] / n;
            }
        }
        DMatrixRMaj c = new DMatrixRMaj(d, d);
        for (double[] r : x) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    c.add(i, j, (r[i] - m[i]) * (r[j] - m[j]) / (n - 1));
                }
            }
        }
        return c;
    }

    /** The definition: tr(pinv(cov(f)) cov(g)) with g(x) the mean of x's class, all dense. */
    static double naive(double[][] f, int[] y, int k) {
        int n = f.length;
        int d = f[0].length;
        double[][] means = new double[k][d];
        int[] cnt = new int[k];
        for (int i = 0; i < n; i++) {
            cnt[y[i]]++;
            for (int j = 0; j < d; j++) {
                means[y[i]][j] += f[i][j];
            }
        }
        double[][] g = new double[n][];
        for (int i = 0; i < n; i++) {
            g[i] = new double[d];
            for (int j = 0; j < d; j++) {
                g[i][j] = means[y[i]][j] / cnt[y[i]];
            }
        }
        DMatrixRMaj pinv = new DMatrixRMaj(d, d);
        CommonOps_DDRM.pinv(cov(f), pinv);
        DMatrixRMaj prod = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(pinv, cov(g), prod);
        return CommonOps_DDRM.trace(prod);
    }

    @Test
    void matchesTheNaiveDefinition() {
        SelectData s = SelectData.clusters(120, 8, 4, 1.0, 21);
        double h = new HScore().score(s.features, s.labels, 4);
        double ref = naive(s.features, s.labels, 4);
        assertEquals(ref, h, 1e-8 * Math.abs(ref));
    }

    @Test
    void matchesTheNaiveDefinitionWithASingularCovariance() {
        SelectData s = SelectData.clusters(60, 6, 3, 1.0, 22);
        for (double[] r : s.features) {
            r[2] = 4.0;              // a constant feature
            r[5] = r[0] - 2 * r[1];  // a linearly dependent one
        }
        double h = new HScore().score(s.features, s.labels, 3);
        double ref = naive(s.features, s.labels, 3);
        assertEquals(ref, h, 1e-8 * Math.abs(ref));
    }

    @Test
    void shrinkageHScoreMatchesItsDefinition() {
        SelectData s = SelectData.clusters(40, 12, 3, 1.0, 23);
        int n = 40;
        int d = 12;
        // Ledoit–Wolf intensity, naively: b̄² = (1/n²) Σ ‖xxᵀ − S‖², δ² = ‖S − μI‖²
        DMatrixRMaj sBiased = cov(s.features);
        CommonOps_DDRM.scale((n - 1.0) / n, sBiased);
        double[] mean = new double[d];
        for (double[] r : s.features) {
            for (int j = 0; j < d; j++) {
                mean[j] += r[j] / n;
            }
        }
        double b = 0;
        for (double[] r : s.features) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double v = (r[i] - mean[i]) * (r[j] - mean[j]) - sBiased.get(i, j);
                    b += v * v;
                }
            }
        }
        b /= (double) n * n;
        double mu = CommonOps_DDRM.trace(sBiased) / d;
        double delta = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = sBiased.get(i, j) - (i == j ? mu : 0);
                delta += v * v;
            }
        }
        double alpha = Math.min(b, delta) / delta;
        assertTrue(alpha > 0 && alpha < 1, "alpha " + alpha);
        DMatrixRMaj shrunk = sBiased.copy();
        CommonOps_DDRM.scale(1 - alpha, shrunk);
        for (int i = 0; i < d; i++) {
            shrunk.add(i, i, alpha * mu);
        }
        double[][] means = new double[3][d];
        int[] cnt = new int[3];
        for (int i = 0; i < n; i++) {
            cnt[s.labels[i]]++;
            for (int j = 0; j < d; j++) {
                means[s.labels[i]][j] += s.features[i][j];
            }
        }
        double[][] g = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                g[i][j] = means[s.labels[i]][j] / cnt[s.labels[i]];
            }
        }
        DMatrixRMaj covG = cov(g);
        CommonOps_DDRM.scale((n - 1.0) / n * (1 - alpha), covG);
        DMatrixRMaj inv = new DMatrixRMaj(d, d);
        CommonOps_DDRM.invert(shrunk, inv);
        DMatrixRMaj prod = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(inv, covG, prod);
        double ref = CommonOps_DDRM.trace(prod);
        double got = new ShrinkageHScore().score(s.features, s.labels, 3);
        assertEquals(ref, got, 1e-8 * Math.abs(ref));
    }

    @Test
    void invariantToRelabellingTheClasses() {
        SelectData s = SelectData.clusters(90, 6, 3, 1.0, 24);
        int[] perm = {2, 0, 1};
        int[] y = new int[90];
        for (int i = 0; i < 90; i++) {
            y[i] = perm[s.labels[i]];
        }
        for (Estimator e : java.util.List.of(new HScore(), new ShrinkageHScore())) {
            double a = e.score(s.features, s.labels, 3);
            double b = e.score(SelectData.copy(s.features), y, 3);
            assertEquals(a, b, 1e-10 * Math.abs(a), e.name());
        }
    }
}
