package dev.graft.select;

import java.util.stream.IntStream;

/**
 * Leave-one-out k-nearest-neighbour accuracy (k = 5, Euclidean, majority vote, ties to the class whose members are
 * nearest): a classic, assumption-free baseline users trust. In [0, 1]; higher = better.
 *
 * <p>Reference: Cover, Hart, "Nearest neighbor pattern classification", IEEE Trans. Inf. Theory 1967,
 * https://doi.org/10.1109/TIT.1967.1053964; used as a transferability baseline e.g. by Kornblith et al., "Do Better
 * ImageNet Models Transfer Better?", CVPR 2019. For speed, distances are computed in the basis of the leading principal
 * components (at most 64; this drops at most the low-variance directions), blockwise as ‖a‖² + ‖b‖² − 2a·b with matrix
 * products, split across threads. Cost O(n²·p).
 */
public final class KnnAccuracy implements Estimator {
    static final int K = 5;
    static final int MAX_DIMS = 64;
    static final int BLOCK = 64;
    static final int TILE = 512;

    @Override
    public String name() {
        return "knn";
    }

    @Override
    public String reference() {
        return "Cover and Hart, Nearest neighbor pattern classification, IEEE Trans. Inf. Theory 1967; "
                + "https://doi.org/10.1109/TIT.1967.1053964";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int p = Math.min(MAX_DIMS, s.rank());
        double[] z = s.pca(p);
        return looAccuracy(z, s.n, p, c.labels(), c.k(), K);
    }

    /** Leave-one-out k-NN accuracy on rows of z [n, p]. */
    static double looAccuracy(double[] z, int n, int p, int[] labels, int numClasses, int k) {
        int kk = Math.min(k, n - 1);
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < p; j++) {
                s += z[i * p + j] * z[i * p + j];
            }
            norms[i] = s;
        }
        // candidates in tiles of TILE columns, each tile transposed once ([p, TILE]) so it stays in cache while a
        // block of queries is multiplied against it
        int tiles = (n + TILE - 1) / TILE;
        double[][] tileT = new double[tiles][];
        for (int t = 0; t < tiles; t++) {
            int len = Math.min(TILE, n - t * TILE);
            double[] part = new double[len * p];
            System.arraycopy(z, t * TILE * p, part, 0, len * p);
            tileT[t] = Dense.transpose(part, len, p);
        }
        int blocks = (n + BLOCK - 1) / BLOCK;
        int[] correct = new int[blocks];
        IntStream.range(0, blocks).parallel().forEach(b -> {
            int lo = b * BLOCK;
            int hi = Math.min(n, lo + BLOCK);
            int m = hi - lo;
            double[] sub = new double[m * p];
            System.arraycopy(z, lo * p, sub, 0, m * p);
            int[][] idx = new int[m][kk];
            double[][] best = new double[m][kk];
            for (double[] row : best) {
                java.util.Arrays.fill(row, Double.POSITIVE_INFINITY);
            }
            double[] dots = new double[m * TILE];
            for (int t = 0; t < tiles; t++) {
                int base = t * TILE;
                int len = Math.min(TILE, n - base);
                java.util.Arrays.fill(dots, 0, m * len, 0);
                Dense.abTRows(sub, tileT[t], dots, len, p, 0, m);
                for (int qi = 0; qi < m; qi++) {
                    int q = lo + qi;
                    double[] bq = best[qi];
                    int[] iq = idx[qi];
                    for (int jj = 0; jj < len; jj++) {
                        int j = base + jj;
                        if (j == q) {
                            continue;
                        }
                        double dist = norms[q] + norms[j] - 2 * dots[qi * len + jj];
                        if (dist < bq[kk - 1]) {
                            int pos = kk - 1;
                            while (pos > 0 && bq[pos - 1] > dist) {
                                bq[pos] = bq[pos - 1];
                                iq[pos] = iq[pos - 1];
                                pos--;
                            }
                            bq[pos] = dist;
                            iq[pos] = j;
                        }
                    }
                }
            }
            double[] votes = new double[numClasses];
            double[] near = new double[numClasses];
            int ok = 0;
            for (int qi = 0; qi < m; qi++) {
                java.util.Arrays.fill(votes, 0);
                java.util.Arrays.fill(near, 0);
                for (int t = 0; t < kk; t++) {
                    votes[labels[idx[qi][t]]]++;
                    near[labels[idx[qi][t]]] += best[qi][t];
                }
                int pred = 0;
                for (int y = 1; y < numClasses; y++) {
                    if (votes[y] > votes[pred] || (votes[y] == votes[pred] && votes[y] > 0 && near[y] < near[pred])) {
                        pred = y;
                    }
                }
                if (pred == labels[lo + qi]) {
                    ok++;
                }
            }
            correct[b] = ok;
        });
        int total = 0;
        for (int v : correct) {
            total += v;
        }
        return (double) total / n;
    }
}
