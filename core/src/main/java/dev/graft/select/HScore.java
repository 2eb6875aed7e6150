package dev.graft.select;

/**
 * H-score: tr(cov(f)⁻¹ cov(E[f|y])), how much of the feature covariance the class-conditional means explain.
 *
 * <p>Bao, Li, Huang, Zheng, Xu, "An Information-Theoretic Approach to Transferability in Task Transfer Learning",
 * ICIP 2019, https://ieeexplore.ieee.org/document/8803726. The inverse is the pseudo-inverse (eigenvalues of cov(f)
 * below 1e-12 of the largest are dropped, like the reference's pinv), covariances are biased (1/n); a constant
 * 1/(n−1) factor would cancel. Higher = better. Cost: the shared covariance eigendecomposition plus O(k·d²).
 */
public final class HScore implements Estimator {
    @Override
    public String name() {
        return "hscore";
    }

    @Override
    public String reference() {
        return "Bao et al., An Information-Theoretic Approach to Transferability in Task Transfer Learning, ICIP 2019; "
                + "https://ieeexplore.ieee.org/document/8803726";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        Dense.Eig eig = s.covEig();
        double[] proj = projectedMeans(s, c, eig);
        double[] lambda = eig.values();
        double total = 0;
        for (int i = 0; i < s.d; i++) {
            if (lambda[i] > lambda[0] * 1e-12) {
                total += proj[i] / lambda[i];
            }
        }
        return Inputs.finite(name(), total);
    }

    /** For each eigenvector vᵢ of cov(f): vᵢᵀ cov(E[f|y]) vᵢ = Σc πc (vᵢᵀ(μc − μ))². */
    static double[] projectedMeans(FeatureStats s, Inputs.Checked c, Dense.Eig eig) {
        ClassStats cs = new ClassStats(s.rows, c);
        int d = s.d;
        double[] diffs = new double[cs.k * d];
        for (int y = 0; y < cs.k; y++) {
            for (int j = 0; j < d; j++) {
                diffs[y * d + j] = cs.means[y * d + j] - s.mean[j];
            }
        }
        double[] basis = new double[d * d];
        for (int i = 0; i < d; i++) {
            System.arraycopy(eig.vectors()[i], 0, basis, i * d, d);
        }
        double[] p = Dense.abT(diffs, cs.k, basis, d, d); // [k, d]: vᵢᵀ(μc − μ)
        double[] out = new double[d];
        for (int y = 0; y < cs.k; y++) {
            for (int i = 0; i < d; i++) {
                double v = p[y * d + i];
                out[i] += cs.priors[y] * v * v;
            }
        }
        return out;
    }
}
