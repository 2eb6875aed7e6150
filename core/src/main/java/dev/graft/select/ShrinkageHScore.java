package dev.graft.select;

/**
 * Shrinkage (regularised) H-score: H-score with the feature covariance replaced by its Ledoit–Wolf shrinkage estimate,
 * H_α = tr(((1 − α)·cov(f) + α·(tr cov(f)/d)·I)⁻¹ (1 − α)·cov(E[f|y])).
 *
 * <p>Ibrahim, Ponomareva, Mazumder, "Newer is not always better: Rethinking transferability metrics, their
 * peculiarities, stability and performance", ECML-PKDD 2022, https://arxiv.org/abs/2110.06893. The shrinkage α is the
 * Ledoit–Wolf estimate min(b̄², δ²)/δ² with δ² = ‖S − (tr S/d)I‖²_F and b̄² = (1/n²) Σₖ ‖xₖxₖᵀ − S‖²_F on centred
 * features (S the biased covariance). Shrinkage toward a scaled identity keeps the eigenvectors, so this reuses the
 * covariance eigendecomposition: cost O(n·d) on top of the shared work. More stable than H-score when d is close to n.
 * Higher = better.
 */
public final class ShrinkageHScore implements Estimator {
    @Override
    public String name() {
        return "shrinkage-hscore";
    }

    @Override
    public String reference() {
        return "Ibrahim et al., Newer is not always better: Rethinking transferability metrics, ECML-PKDD 2022; "
                + "https://arxiv.org/abs/2110.06893";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        Dense.Eig eig = s.covEig();
        double alpha = ledoitWolf(s);
        double[] proj = HScore.projectedMeans(s, c, eig);
        double[] lambda = eig.values();
        double mu = 0;
        for (double v : lambda) {
            mu += v;
        }
        mu /= s.d;
        double total = 0;
        for (int i = 0; i < s.d; i++) {
            double shrunk = (1 - alpha) * lambda[i] + alpha * mu;
            if (shrunk > lambda[0] * 1e-12) {
                total += (1 - alpha) * proj[i] / shrunk;
            }
        }
        return Inputs.finite(name(), total);
    }

    /** The Ledoit–Wolf shrinkage intensity in [0, 1] for the biased covariance of the features. */
    static double ledoitWolf(FeatureStats s) {
        int n = s.n;
        int d = s.d;
        double[] cov = s.cov();
        double trace = 0;
        double frob = 0;
        for (int i = 0; i < d; i++) {
            trace += cov[i * d + i];
        }
        for (double v : cov) {
            frob += v * v;
        }
        double mu = trace / d;
        double delta = frob - 2 * mu * trace + mu * mu * d; // ‖S − μI‖²_F
        double fourth = 0;
        for (int r = 0; r < n; r++) {
            double sq = 0;
            for (int j = 0; j < d; j++) {
                double v = s.rows[r][j] - s.mean[j];
                sq += v * v;
            }
            fourth += sq * sq;
        }
        double b = (fourth - n * frob) / ((double) n * n); // (1/n²) Σ ‖xxᵀ − S‖²_F = (Σ‖x‖⁴ − n‖S‖²_F)/n²
        if (delta <= 0) {
            return 1;
        }
        return Math.max(0, Math.min(b, delta) / delta);
    }
}
