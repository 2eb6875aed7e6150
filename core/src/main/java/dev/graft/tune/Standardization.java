package dev.graft.tune;

/**
 * Per-feature standardisation z = (x − μ) / σ of features [n, p], and the fold that turns a linear model fitted on z
 * back into one on raw x: W_x = W_z / σ, b_x = b_z − W_z · (μ / σ), so the head computes the same logits on raw
 * features.
 *
 * <p>A feature that is constant in the data — σ at most {@value #CONSTANT_BELOW} of the median σ — is left out (its σ
 * is infinite, so its z is 0 and its folded weight 0). Encoders have such features (all-minilm-l6-v2's mean-pooled
 * vectors have three, one with σ = 2.5e-9 against a median of 0.05, from rounding noise alone): standardising one
 * multiplies noise by 10⁸, and its folded weight makes the head explode as soon as fine-tuning moves that feature (a
 * full fine-tune from such a head reached a loss of 95 in 28 updates).
 *
 * @param mean  μ [p]
 * @param scale σ [p] (population standard deviation; infinite for a constant feature)
 */
record Standardization(double[] mean, double[] scale) {
    /** A feature whose σ is at most this fraction of the median σ counts as constant. */
    static final double CONSTANT_BELOW = 1e-3;

    static Standardization of(double[] x, int n, int p) {
        double[] mu = new double[p];
        double[] sd = new double[p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                mu[j] += x[i * p + j];
            }
        }
        for (int j = 0; j < p; j++) {
            mu[j] /= n;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                double d = x[i * p + j] - mu[j];
                sd[j] += d * d;
            }
        }
        for (int j = 0; j < p; j++) {
            sd[j] = Math.sqrt(sd[j] / n);
        }
        double[] sorted = sd.clone();
        java.util.Arrays.sort(sorted);
        double constant = Math.max(CONSTANT_BELOW * sorted[p / 2], 1e-12);
        for (int j = 0; j < p; j++) {
            if (!(sd[j] > constant)) {
                sd[j] = Double.POSITIVE_INFINITY;
            }
        }
        return new Standardization(mu, sd);
    }

    /** z [n, p] of x [n, p]. */
    double[] apply(double[] x) {
        int p = mean.length;
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            z[i] = (x[i] - mean[i % p]) / scale[i % p];
        }
        return z;
    }

    /** The raw-feature weight [c, p] of packed standardised parameters [c, p + 1] (weights then bias per output). */
    float[] weight(double[] packed, int c) {
        int p = mean.length;
        float[] w = new float[c * p];
        for (int o = 0; o < c; o++) {
            for (int j = 0; j < p; j++) {
                w[o * p + j] = (float) (packed[o * (p + 1) + j] / scale[j]);
            }
        }
        return w;
    }

    /** The raw-feature bias [c] of packed standardised parameters [c, p + 1]. */
    float[] bias(double[] packed, int c) {
        int p = mean.length;
        float[] b = new float[c];
        for (int o = 0; o < c; o++) {
            double s = packed[o * (p + 1) + p];
            for (int j = 0; j < p; j++) {
                s -= packed[o * (p + 1) + j] * mean[j] / scale[j];
            }
            b[o] = (float) s;
        }
        return b;
    }
}
