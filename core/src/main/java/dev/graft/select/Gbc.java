package dev.graft.select;

/**
 * GBC, Gaussian Bhattacharyya Coefficient: the (negated) total overlap between per-class Gaussians fitted to the
 * features in a PCA basis, GBC = −Σ_{i≠j} exp(−D_B(i, j)), with the Bhattacharyya distance
 * D_B = ⅛ (μᵢ − μⱼ)ᵀ Σ⁻¹ (μᵢ − μⱼ) + ½ ln(det Σ / √(det Σᵢ det Σⱼ)), Σ = (Σᵢ + Σⱼ)/2.
 *
 * <p>Pándy, Agostinelli, Uijlings, Ferrari, Mensink, "Transferability Estimation using Bhattacharyya Class
 * Separability", CVPR 2022, https://arxiv.org/abs/2111.12780. As in the paper the features are first reduced by PCA
 * (here to min(64, d, rank) components); per-class covariances are diagonal, or spherical (σ² I with σ² the mean of the
 * diagonal) for {@code gbc-spherical}. Variances are floored at 1e-10 of the mean component variance. Range (−k(k−1), 0];
 * higher (closer to 0, less class overlap) = better. Cost: the shared PCA projection O(n·d·p) plus O(n·p + k²·p).
 */
public final class Gbc implements Estimator {
    static final int PCA_DIMS = 64;
    private final boolean spherical;

    /** @param spherical spherical per-class covariances instead of diagonal ones */
    public Gbc(boolean spherical) {
        this.spherical = spherical;
    }

    @Override
    public String name() {
        return spherical ? "gbc-spherical" : "gbc";
    }

    @Override
    public String reference() {
        return "Pandy et al., Transferability Estimation using Bhattacharyya Class Separability, CVPR 2022; "
                + "https://arxiv.org/abs/2111.12780";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int p = Math.min(PCA_DIMS, Math.min(s.d, s.rank()));
        double[] z = s.pca(p);
        int k = c.k();
        double[] mean = new double[k * p];
        double[] var = new double[k * p];
        for (int i = 0; i < s.n; i++) {
            int o = c.labels()[i] * p;
            for (int j = 0; j < p; j++) {
                mean[o + j] += z[i * p + j];
            }
        }
        for (int y = 0; y < k; y++) {
            for (int j = 0; j < p; j++) {
                mean[y * p + j] /= c.counts()[y];
            }
        }
        for (int i = 0; i < s.n; i++) {
            int o = c.labels()[i] * p;
            for (int j = 0; j < p; j++) {
                double dv = z[i * p + j] - mean[o + j];
                var[o + j] += dv * dv;
            }
        }
        double avg = 0;
        for (int j = 0; j < p; j++) {
            avg += s.covEig().values()[j];
        }
        double floor = 1e-10 * avg / p;
        for (int y = 0; y < k; y++) {
            double sph = 0;
            for (int j = 0; j < p; j++) {
                var[y * p + j] = Math.max(floor, var[y * p + j] / c.counts()[y]);
                sph += var[y * p + j];
            }
            if (spherical) {
                for (int j = 0; j < p; j++) {
                    var[y * p + j] = sph / p;
                }
            }
        }
        double total = 0;
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                if (a != b) {
                    total += Math.exp(-bhattacharyya(mean, var, a, b, p));
                }
            }
        }
        return Inputs.finite(name(), -total);
    }

    static double bhattacharyya(double[] mean, double[] var, int a, int b, int p) {
        double quad = 0;
        double logRatio = 0;
        for (int j = 0; j < p; j++) {
            double va = var[a * p + j];
            double vb = var[b * p + j];
            double v = 0.5 * (va + vb);
            double dm = mean[a * p + j] - mean[b * p + j];
            quad += dm * dm / v;
            logRatio += Math.log(v) - 0.5 * (Math.log(va) + Math.log(vb));
        }
        return quad / 8 + logRatio / 2;
    }
}
