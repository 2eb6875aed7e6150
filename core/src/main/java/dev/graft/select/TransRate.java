package dev.graft.select;

import java.util.stream.IntStream;

/**
 * TransRate: the mutual information between features and labels estimated with coding rates,
 * TrR = R(Z, ε) − Σc (nc/n) R(Zc, ε), where R(Z, ε) = ½ log det(I + Zᵀ Z / (n ε)) is the coding rate of the centred
 * features Z [n, d] and Zc are the rows of class c (of the same centred matrix).
 *
 * <p>Huang, Huang, Rong, Yang, Wei, "Frustratingly Easy Transferability Estimation", ICML 2022,
 * https://arxiv.org/abs/2106.09362. The class weights nc/n follow the paper's definition of the conditional rate;
 * ε = 1e-4 (in the 1/(nε) scaling) follows the authors' release. Higher = better (more information about the labels,
 * more compact classes). Not scale-invariant: compare models on features of similar scale.
 *
 * <p>Cost: the whole-set rate comes from the shared covariance eigenvalues; each class costs
 * O(min(nc²·d + nc³, nc·d² + d³)) using det(I_d + AᵀA) = det(I_nc + AAᵀ) when the class is smaller than d.
 */
public final class TransRate implements Estimator {
    static final double EPS = 1e-4;

    @Override
    public String name() {
        return "transrate";
    }

    @Override
    public String reference() {
        return "Huang et al., Frustratingly Easy Transferability Estimation, ICML 2022; https://arxiv.org/abs/2106.09362";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int n = s.n;
        int d = s.d;
        double whole = 0;
        for (double lambda : s.covEig().values()) {
            whole += 0.5 * Math.log1p(lambda / EPS); // Zᵀ Z/(nε) = cov/ε
        }
        int[][] members = members(c);
        double[] rates = new double[c.k()];
        IntStream.range(0, c.k()).parallel().forEach(y -> rates[y] = classRate(s.centred(), d, members[y]));
        double conditional = 0;
        for (int y = 0; y < c.k(); y++) {
            conditional += (double) c.counts()[y] / n * rates[y];
        }
        return Inputs.finite(name(), whole - conditional);
    }

    static int[][] members(Inputs.Checked c) {
        int[][] m = new int[c.k()][];
        int[] fill = new int[c.k()];
        for (int y = 0; y < c.k(); y++) {
            m[y] = new int[c.counts()[y]];
        }
        for (int i = 0; i < c.n(); i++) {
            int y = c.labels()[i];
            m[y][fill[y]++] = i;
        }
        return m;
    }

    /** ½ log det(I + ZcᵀZc/(nc ε)) for the given rows of the centred features. */
    static double classRate(double[] z, int d, int[] rows) {
        int m = rows.length;
        double[] zc = new double[m * d];
        for (int i = 0; i < m; i++) {
            System.arraycopy(z, rows[i] * d, zc, i * d, d);
        }
        double scale = 1.0 / (m * EPS);
        double[] g;
        int size;
        if (m < d) {
            g = Dense.abT(zc, m, zc, m, d); // ZcZcᵀ [m, m]
            size = m;
        } else {
            g = Dense.gram(zc, m, d);       // ZcᵀZc [d, d]
            size = d;
        }
        for (int i = 0; i < g.length; i++) {
            g[i] *= scale;
        }
        for (int i = 0; i < size; i++) {
            g[i * size + i] += 1;
        }
        return 0.5 * Dense.logDetSpd(g, size);
    }
}
