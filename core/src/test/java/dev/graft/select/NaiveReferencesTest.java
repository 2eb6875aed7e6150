package dev.graft.select;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** TransRate, kNN and GBC against direct, unoptimised computations of their definitions. */
class NaiveReferencesTest {

    static double codingRate(double[][] z, int[] rows, double eps) {
        int d = z[0].length;
        int m = rows.length;
        DMatrixRMaj a = new DMatrixRMaj(d, d);
        for (int r : rows) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    a.add(i, j, z[r][i] * z[r][j] / (m * eps));
                }
            }
        }
        for (int i = 0; i < d; i++) {
            a.add(i, i, 1);
        }
        return 0.5 * Math.log(CommonOps_DDRM.det(a));
    }

    @Test
    void transRateMatchesTheCodingRateDefinition() {
        // class sizes both below and above d, so both determinant identities are exercised
        SelectData s = SelectData.clusters(60, 8, 3, 0.3, 71);
        int[] y = s.labels.clone();
        for (int i = 0; i < 40; i++) {
            y[i] = 0;               // class 0: 40 examples (> d), classes 1, 2: 10 each (< d)
        }
        for (int i = 40; i < 60; i++) {
            y[i] = 1 + (i % 2);
        }
        int n = 60;
        int d = 8;
        double[][] z = new double[n][d];
        double[] mean = new double[d];
        for (double[] r : s.features) {
            for (int j = 0; j < d; j++) {
                mean[j] += r[j] / n;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[i][j] = s.features[i][j] - mean[j];
            }
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        double expected = codingRate(z, all, TransRate.EPS);
        for (int c = 0; c < 3; c++) {
            final int cc = c;
            int[] rows = java.util.stream.IntStream.range(0, n).filter(i -> y[i] == cc).toArray();
            expected -= (double) rows.length / n * codingRate(z, rows, TransRate.EPS);
        }
        double got = new TransRate().score(s.features, y, 3);
        assertEquals(expected, got, 1e-9 * Math.abs(expected));
    }

    @Test
    void knnMatchesBruteForceWhenNoDimensionIsDropped() {
        // d ≤ 64: the PCA basis is a rotation, so distances are exact
        SelectData s = SelectData.clusters(150, 6, 3, 0.7, 72);
        int n = 150;
        int ok = 0;
        for (int q = 0; q < n; q++) {
            Integer[] order = new Integer[n - 1];
            double[] dist = new double[n];
            int t = 0;
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int c = 0; c < 6; c++) {
                    double v = s.features[q][c] - s.features[j][c];
                    sum += v * v;
                }
                dist[j] = sum;
                if (j != q) {
                    order[t++] = j;
                }
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(dist[a], dist[b]));
            int[] votes = new int[3];
            double[] near = new double[3];
            for (int i = 0; i < 5; i++) {
                votes[s.labels[order[i]]]++;
                near[s.labels[order[i]]] += dist[order[i]];
            }
            int pred = 0;
            for (int c = 1; c < 3; c++) {
                if (votes[c] > votes[pred] || (votes[c] == votes[pred] && votes[c] > 0 && near[c] < near[pred])) {
                    pred = c;
                }
            }
            ok += pred == s.labels[q] ? 1 : 0;
        }
        assertEquals(ok / 150.0, new KnnAccuracy().score(s.features, s.labels, 3), 1e-12);
    }

    @Test
    void gbcIsInvariantToRotationsAndMatchesTheDiagonalFormulaInThePcaBasis() {
        // with d ≤ 64 GBC works in the full PCA basis; rotating the input features must not change it
        SelectData s = SelectData.clusters(120, 4, 3, 1.0, 73);
        double c = Math.cos(0.7);
        double sn = Math.sin(0.7);
        double[][] rotated = new double[120][4];
        for (int i = 0; i < 120; i++) {
            double[] r = s.features[i];
            rotated[i] = new double[] {c * r[0] - sn * r[1], sn * r[0] + c * r[1], r[2], -r[3]};
        }
        for (boolean spherical : new boolean[] {false, true}) {
            double a = new Gbc(spherical).score(s.features, s.labels, 3);
            double b = new Gbc(spherical).score(rotated, s.labels, 3);
            assertEquals(a, b, 1e-9 * Math.abs(a));
        }
        // two classes, one dimension: −2·exp(−D_B) with D_B = ⅛Δμ²/σ + ½ ln(σ/√(σ₁σ₂)), σ = (σ₁+σ₂)/2
        double[][] f = {{0}, {2}, {4}, {8}};
        int[] y = {0, 0, 1, 1};
        double v1 = 1;   // biased variances: class 0 {0, 2}, class 1 {4, 8}
        double v2 = 4;
        double v = (v1 + v2) / 2;
        double dm = 1 - 6;
        double db = dm * dm / v / 8 + 0.5 * Math.log(v / Math.sqrt(v1 * v2));
        assertEquals(-2 * Math.exp(-db), new Gbc(false).score(f, y, 2), 1e-12);
    }
}
