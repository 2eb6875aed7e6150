package dev.graft.select;

import dev.graft.GraftException;

/**
 * LogME: the logarithm of the maximum evidence of a Bayesian linear model on the features, per example.
 *
 * <p>You, Liu, Wang, Long, Jordan, "Ranking and Tuning Pre-trained Models: A New Paradigm for Exploiting Model Hubs",
 * JMLR 23 (2022), https://jmlr.org/papers/v23/21-1251.html (first version: "LogME: Practical Assessment of
 * Pre-trained Models for Transfer Learning", ICML 2021).
 *
 * <p>For a target vector y [n] and features F [n, d], the model is y = Fw + noise with prior w ~ N(0, α⁻¹I) and noise
 * N(0, β⁻¹). The evidence L(α, β) = n/2 log β + d/2 log α − n/2 log 2π − β/2 ‖Fm − y‖² − α/2 mᵀm − ½ log|A| with
 * A = αI + βFᵀF and m = βA⁻¹Fᵀy is maximised by the paper's fixed-point iteration γ = Σ βσᵢ/(α + βσᵢ),
 * α ← γ/mᵀm, β ← (n − γ)/‖Fm − y‖², carried out in the eigenbasis of FᵀF (σᵢ its eigenvalues) so each iteration costs
 * O(d). We iterate to a relative change below 1e-13 (double precision), not the looser stopping rule of the reference
 * code. The supremum can lie on a boundary, where the iteration runs off instead of converging: α → ∞ (the features
 * explain nothing of y; the model w = 0) and, when n ≤ rank F, β → ∞ (an exact fit); both limits are evaluated in
 * closed form and the largest of the three values is returned, so the result is the maximum evidence in every case.
 * Classification uses one-hot targets one-vs-rest and averages L/n over the classes; regression averages over
 * the target columns. Features are used as given (no centring, no bias column), as in the paper.
 *
 * <p>Cost: one Gram matrix FᵀF (O(n·d²), shared with the other estimators) and one symmetric eigendecomposition
 * (O(d³), EJML); each target then costs O(d²) for its projection plus O(d) per iteration.
 */
public final class LogMe implements Estimator {
    static final int MAX_ITERATIONS = 10_000;
    static final double TOLERANCE = 1e-13;

    @Override
    public String name() {
        return "logme";
    }

    @Override
    public String reference() {
        return "You et al., Ranking and Tuning Pre-trained Models: A New Paradigm for Exploiting Model Hubs, JMLR 2022; "
                + "https://jmlr.org/papers/v23/21-1251.html";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        return Inputs.finite(name(), classification(s, c));
    }

    static double classification(FeatureStats s, Inputs.Checked c) {
        int n = s.n;
        int d = s.d;
        // Fᵀy_k for one-hot y_k is the sum of the rows of class k: O(n·d) instead of O(n·d·k).
        double[] sums = new double[c.k() * d];
        for (int i = 0; i < n; i++) {
            int o = c.labels()[i] * d;
            double[] row = s.rows[i];
            for (int j = 0; j < d; j++) {
                sums[o + j] += row[j];
            }
        }
        Dense.Eig eig = s.rawEig();
        double total = 0;
        for (int k = 0; k < c.k(); k++) {
            double[] b = new double[d];
            System.arraycopy(sums, k * d, b, 0, d);
            total += evidence(eig, b, c.counts()[k], n, d);
        }
        return total / c.k();
    }

    /**
     * LogME for regression: the mean over target columns of the per-example maximum evidence.
     *
     * @param features [n, d] finite features
     * @param targets  [n, t] finite real targets
     * @return mean of L(α*, β*)/n over the t targets; higher = better
     */
    public static double regression(double[][] features, double[][] targets) {
        int d = Inputs.checkFeatures(features);
        int n = features.length;
        int t = Inputs.checkMatrix(targets, "targets");
        if (targets.length != n) {
            throw new GraftException("targets: expected " + n + " rows (one per feature row), got " + targets.length);
        }
        FeatureStats s = FeatureStats.of(features);
        Dense.Eig eig = s.rawEig();
        double total = 0;
        for (int col = 0; col < t; col++) {
            double[] b = new double[d];
            double yy = 0;
            for (int i = 0; i < n; i++) {
                double y = targets[i][col];
                yy += y * y;
                for (int j = 0; j < d; j++) {
                    b[j] += s.rows[i][j] * y;
                }
            }
            if (yy == 0) {
                throw new GraftException("targets: column " + col + " is all zero; LogME needs a non-zero target");
            }
            total += evidence(eig, b, yy, n, d);
        }
        return Inputs.finite("logme", total / t);
    }

    /**
     * Maximum evidence per example for one target, given FᵀF = V diag(σ) Vᵀ, b = Fᵀy and yy = ‖y‖².
     * Eigen-directions with σᵢ ≤ 1e-13·σ_max·d are treated as exactly zero (Fᵀy has no component there).
     */
    static double evidence(Dense.Eig eig, double[] b, double yy, int n, int d) {
        double[] sigma = eig.values();
        double cutoff = sigma[0] * 1e-13 * d;
        double[] z2 = new double[d];   // (vᵢᵀFᵀy)²
        double inRange = 0;            // ‖Uᵀy‖² = Σ zᵢ²/σᵢ: the part of y in the column space of F
        int r = 0;
        for (int i = 0; i < d; i++) {
            if (sigma[i] > cutoff) {
                double[] v = eig.vectors()[i];
                double z = 0;
                for (int j = 0; j < d; j++) {
                    z += v[j] * b[j];
                }
                z2[i] = z * z;
                inRange += z * z / sigma[i];
                r = i + 1;
            }
        }
        double outside = Math.max(0, yy - inRange); // ‖(I − UUᵀ)y‖², orthogonal to every feature direction
        double alpha = 1;
        double beta = 1;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double gamma = 0;
            double m2 = 0;
            double res2 = outside;
            for (int i = 0; i < r; i++) {
                double si = sigma[i];
                double den = alpha + beta * si;
                gamma += beta * si / den;
                m2 += beta * beta * z2[i] / (den * den);
                res2 += z2[i] / si * (alpha * alpha) / (den * den);
            }
            double na = gamma / m2;
            double nb = (n - gamma) / res2;
            if (!(na > 0 && nb > 0 && na < 1e300 && nb < 1e300)) {
                break; // running off to a boundary (α → ∞ or β → ∞): the limits below cover it
            }
            boolean done = Math.abs(na - alpha) <= TOLERANCE * na && Math.abs(nb - beta) <= TOLERANCE * nb;
            alpha = na;
            beta = nb;
            if (done) {
                break;
            }
        }
        double value = evidenceAt(alpha, beta, sigma, z2, outside, r, n, d);
        if (!Double.isFinite(value)) {
            value = Double.NEGATIVE_INFINITY;
        }
        // α → ∞ (w = 0, the features explain nothing): L = −n/2 (log(2π‖y‖²/n) + 1) at the best β = n/‖y‖².
        // The fixed point runs off toward it when y is (nearly) orthogonal to every feature direction.
        value = Math.max(value, -n / 2.0 * (Math.log(2 * Math.PI * yy / n) + 1));
        if (r >= n) {
            // n ≤ rank(F): F can fit y exactly and the evidence may increase without bound in β toward a finite
            // supremum (the fixed point then never converges). That limit, maximised over α in closed form:
            // L∞(α) = −½ Σ log σᵢ + r/2 log α − n/2 log 2π − α/2 ‖m‖², m the minimum-norm solution; α* = r/‖m‖².
            double mm = 0;
            double logSigma = 0;
            for (int i = 0; i < r; i++) {
                mm += z2[i] / (sigma[i] * sigma[i]);
                logSigma += Math.log(sigma[i]);
            }
            if (mm > 0) {
                double a = r / mm;
                value = Math.max(value, -0.5 * logSigma + r / 2.0 * Math.log(a) - n / 2.0 * Math.log(2 * Math.PI) - a / 2 * mm);
            }
        }
        return value / n;
    }

    /** L(α, β) in the eigenbasis (the formula of the class comment). */
    static double evidenceAt(double alpha, double beta, double[] sigma, double[] z2, double outside, int r, int n, int d) {
        double m2 = 0;
        double res2 = outside;
        double logDet = (d - r) * Math.log(alpha);
        for (int i = 0; i < r; i++) {
            double si = sigma[i];
            double den = alpha + beta * si;
            m2 += beta * beta * z2[i] / (den * den);
            res2 += z2[i] / si * (alpha * alpha) / (den * den);
            logDet += Math.log(den);
        }
        return n / 2.0 * Math.log(beta) + d / 2.0 * Math.log(alpha) - n / 2.0 * Math.log(2 * Math.PI)
                - beta / 2 * res2 - alpha / 2 * m2 - logDet / 2;
    }
}
