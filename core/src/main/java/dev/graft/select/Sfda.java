package dev.graft.select;

/**
 * SFDA, Self-challenging Fisher Discriminant Analysis: how well a regularised Fisher (LDA) classifier separates the
 * classes after the hard examples have been pulled toward the other classes.
 *
 * <p>Shao, Zhao, Ge, Ye, Xia, Luo, "Not All Models Are Equal: Predicting Model Transferability in a Self-challenging
 * Fisher Space", ECCV 2022, https://arxiv.org/abs/2207.03036. Steps, from the paper:
 * (1) within-class scatter S_W = Σc πc cov_c, regularised S_W^λ = (1 − λ)S_W + λ (tr S_W/d) I with
 * λ = max(exp(−a·σmax(S_W)), 1e-10), a = 5; (2) Fisher-space posteriors p(c|x) = softmax_c(xᵀS_W^λ⁻¹μc
 * − ½ μcᵀS_W^λ⁻¹μc + log πc) (projecting on all Fisher directions, as the authors do, this is exactly the regularised
 * LDA posterior); (3) ConfMix: each x of class y becomes p·x + (1 − p)·ō_y, where p is the softened (softmax of the)
 * posterior of its own class and ō_y the mean of all examples outside class y; (4) refit with the same λ; the score is
 * the mean posterior of the true class, in [0, 1]. Higher = better. Cost: two Gram matrices O(n·d²), two Cholesky
 * solves O(d³), O(n·d·k) for the posteriors.
 */
public final class Sfda implements Estimator {
    static final double A = 5;

    @Override
    public String name() {
        return "sfda";
    }

    @Override
    public String reference() {
        return "Shao et al., Not All Models Are Equal: Predicting Model Transferability in a Self-challenging Fisher Space, "
                + "ECCV 2022; https://arxiv.org/abs/2207.03036";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int n = s.n;
        int d = s.d;
        int k = c.k();
        ClassStats cs = new ClassStats(s.rows, c);
        double[] sw = withinScatter(s.cov(), cs, s.mean);
        double lambda = Math.max(Math.exp(-A * largestEigenvalue(sw, d)), 1e-10);
        double[] prob = posteriors(s.x(), n, d, cs, sw, lambda);
        // soften: a second softmax over the probabilities, as the paper does before mixing
        for (int i = 0; i < n; i++) {
            double z = 0;
            for (int y = 0; y < k; y++) {
                z += Math.exp(prob[i * k + y]);
            }
            for (int y = 0; y < k; y++) {
                prob[i * k + y] = Math.exp(prob[i * k + y]) / z;
            }
        }
        // outer means: the mean of every example not in class y
        double[] sum = new double[d];
        for (int y = 0; y < k; y++) {
            for (int j = 0; j < d; j++) {
                sum[j] += cs.means[y * d + j] * c.counts()[y];
            }
        }
        double[] mixed = new double[n * d];
        for (int i = 0; i < n; i++) {
            int y = c.labels()[i];
            double p = prob[i * k + y];
            double others = n - c.counts()[y];
            for (int j = 0; j < d; j++) {
                double outer = (sum[j] - cs.means[y * d + j] * c.counts()[y]) / others;
                mixed[i * d + j] = p * s.rows[i][j] + (1 - p) * outer;
            }
        }
        ClassStats cs2 = new ClassStats(mixed, n, d, c);
        double[] mean2 = Dense.mean(mixed, n, d);
        double[] centred2 = new double[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                centred2[i * d + j] = mixed[i * d + j] - mean2[j];
            }
        }
        double[] cov2 = Dense.gram(centred2, n, d);
        for (int i = 0; i < cov2.length; i++) {
            cov2[i] /= n;
        }
        double[] sw2 = withinScatter(cov2, cs2, mean2);
        double[] prob2 = posteriors(mixed, n, d, cs2, sw2, lambda);
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += prob2[i * k + c.labels()[i]];
        }
        return Inputs.finite(name(), total / n);
    }

    /** S_W = total covariance − between-class scatter (= Σc πc cov_c for biased covariances). */
    static double[] withinScatter(double[] cov, ClassStats cs, double[] mean) {
        double[] sb = cs.betweenScatter(mean);
        double[] sw = new double[cov.length];
        for (int i = 0; i < cov.length; i++) {
            sw[i] = cov[i] - sb[i];
        }
        return sw;
    }

    /** Largest eigenvalue of a symmetric positive semi-definite matrix by power iteration (relative tolerance 1e-10). */
    static double largestEigenvalue(double[] m, int d) {
        double[] v = new double[d];
        java.util.Arrays.fill(v, 1 / Math.sqrt(d));
        double lambda = 0;
        for (int it = 0; it < 1000; it++) {
            double[] w = new double[d];
            for (int i = 0; i < d; i++) {
                double acc = 0;
                for (int j = 0; j < d; j++) {
                    acc += m[i * d + j] * v[j];
                }
                w[i] = acc;
            }
            double norm = 0;
            for (double x : w) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return 0;
            }
            for (int i = 0; i < d; i++) {
                v[i] = w[i] / norm;
            }
            boolean done = Math.abs(norm - lambda) <= 1e-10 * norm;
            lambda = norm;
            if (done) {
                break;
            }
        }
        return lambda;
    }

    /** Regularised-LDA posteriors [n, k] with S_W^λ = (1 − λ)S_W + λ (tr S_W/d) I. */
    static double[] posteriors(double[] x, int n, int d, ClassStats cs, double[] sw, double lambda) {
        int k = cs.k;
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += sw[i * d + i];
        }
        double[] reg = new double[d * d];
        for (int i = 0; i < reg.length; i++) {
            reg[i] = (1 - lambda) * sw[i];
        }
        for (int i = 0; i < d; i++) {
            reg[i * d + i] += lambda * trace / d;
        }
        double[] meansT = Dense.transpose(cs.means, k, d);        // [d, k]
        double[] coefT = Dense.solveSpd(reg, d, meansT, k);      // S⁻¹ μc as columns, [d, k]
        double[] coef = Dense.transpose(coefT, d, k);            // [k, d]
        double[] intercept = new double[k];
        for (int y = 0; y < k; y++) {
            double q = 0;
            for (int j = 0; j < d; j++) {
                q += cs.means[y * d + j] * coef[y * d + j];
            }
            intercept[y] = -0.5 * q + Math.log(cs.priors[y]);
        }
        double[] scores = Dense.abT(x, n, coef, k, d);
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < k; y++) {
                scores[i * k + y] += intercept[y];
            }
            double lse = Dense.logSumExp(scores, i * k, k);
            for (int y = 0; y < k; y++) {
                scores[i * k + y] = Math.exp(scores[i * k + y] - lse);
            }
        }
        return scores;
    }
}
