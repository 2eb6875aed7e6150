package dev.graft.select;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * NLEEP, Gaussian LEEP: LEEP computed on the posteriors of a Gaussian mixture fitted to the features, for models that
 * have no source classifier.
 *
 * <p>Li, Jia, Zhou, Li, Lin, Tang, Ye, Zhang, Wen, "Ranking Neural Checkpoints", CVPR 2021,
 * https://arxiv.org/abs/2011.11200. As in the paper: PCA keeping 80% of the variance, then a Gaussian mixture with
 * 5 components per target class, then LEEP on its posteriors. For speed (the budget is about a second per model
 * for every estimator) the mixture has diagonal covariances, the PCA keeps at most 64 components, the components are at
 * most n/10, and EM starts from seeded k-means++ centres and runs at most 10 iterations (stopping when the mean
 * log-likelihood per example improves by less than 1e-3, scikit-learn's default); every E-step is one matrix product
 * and the M-step skips posteriors below 1e-10. Deterministic (fixed seed). Value ≤ 0;
 * higher = better. Cost O(iterations · n · p · G).
 */
public final class Nleep implements Estimator {
    static final double VARIANCE_KEPT = 0.8;
    static final int MAX_DIMS = 64;
    static final int COMPONENTS_PER_CLASS = 5;
    static final int MAX_ITERATIONS = 10;
    static final long SEED = 20210619L;
    /** Stop when the mean log-likelihood per example gains less than this (scikit-learn's default tolerance). */
    static final double TOLERANCE = 1e-3;

    @Override
    public String name() {
        return "nleep";
    }

    @Override
    public String reference() {
        return "Li et al., Ranking Neural Checkpoints, CVPR 2021; https://arxiv.org/abs/2011.11200";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int p = s.componentsFor(VARIANCE_KEPT, MAX_DIMS);
        double[] z = s.pca(p);
        int g = Math.max(1, Math.min(COMPONENTS_PER_CLASS * c.k(), s.n / 10));
        double[] post = gmmPosteriors(z, s.n, p, g);
        return Inputs.finite(name(), Leep.fromPosteriors(post, s.n, g, c.labels(), c.k()));
    }

    /** Fits a diagonal Gaussian mixture with g components to rows of z [n, p]; returns posteriors [n, g]. */
    static double[] gmmPosteriors(double[] z, int n, int p, int g) {
        double[] globalVar = new double[p];
        double[] gm = Dense.mean(z, n, p);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                double dv = z[i * p + j] - gm[j];
                globalVar[j] += dv * dv / n;
            }
        }
        double floor = 0;
        for (double v : globalVar) {
            floor += v;
        }
        floor = Math.max(1e-6 * floor / p, Double.MIN_NORMAL);
        double[] mu = kmeansPlusPlus(z, n, p, g, new Random(SEED));
        double[] var = new double[g * p];
        double[] logw = new double[g];
        for (int c = 0; c < g; c++) {
            System.arraycopy(globalVar, 0, var, c * p, p);
            logw[c] = -Math.log(g);
        }
        // A = [z², z] [n, 2p]; log N(z|μ, σ²) = Σ_j (−z_j²/(2σ_j²) + z_j μ_j/σ_j²) + const_c
        double[] a = new double[n * 2 * p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                double v = z[i * p + j];
                a[i * 2 * p + j] = v * v;
                a[i * 2 * p + p + j] = v;
            }
        }
        double[] post = new double[n * g];
        double prev = Double.NEGATIVE_INFINITY;
        for (int it = 0; it <= MAX_ITERATIONS; it++) {
            double ll = eStep(a, n, p, g, mu, var, logw, post);
            if (it == MAX_ITERATIONS || ll - prev < TOLERANCE) {
                break;
            }
            prev = ll;
            mStep(a, n, p, g, post, mu, var, logw, floor);
        }
        return post;
    }

    private static double eStep(double[] a, int n, int p, int g, double[] mu, double[] var, double[] logw, double[] post) {
        double[] b = new double[g * 2 * p];
        double[] cst = new double[g];
        for (int c = 0; c < g; c++) {
            double k0 = logw[c] - 0.5 * p * Math.log(2 * Math.PI);
            for (int j = 0; j < p; j++) {
                double v = var[c * p + j];
                double m = mu[c * p + j];
                b[c * 2 * p + j] = -0.5 / v;
                b[c * 2 * p + p + j] = m / v;
                k0 -= 0.5 * (m * m / v + Math.log(v));
            }
            cst[c] = k0;
        }
        double[] logp = Dense.abT(a, n, b, g, 2 * p);
        double ll = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < g; c++) {
                logp[i * g + c] += cst[c];
            }
            double lse = Dense.logSumExp(logp, i * g, g);
            ll += lse;
            for (int c = 0; c < g; c++) {
                post[i * g + c] = Math.exp(logp[i * g + c] - lse);
            }
        }
        return ll / n;
    }

    private static void mStep(double[] a, int n, int p, int g, double[] post, double[] mu, double[] var, double[] logw,
                              double floor) {
        // per component Σ r·z² and Σ r·z [g, 2p]; posteriors are nearly one-hot, so terms below 1e-10 are skipped
        int q = 2 * p;
        int tasks = Math.min(Dense.threads(), Math.max(1, n / 256));
        double[][] partial = new double[tasks][];
        double[][] partialW = new double[tasks][];
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int lo = (int) ((long) n * t / tasks);
            int hi = (int) ((long) n * (t + 1) / tasks);
            double[] sums = new double[g * q];
            double[] w = new double[g];
            for (int i = lo; i < hi; i++) {
                int ao = i * q;
                for (int c = 0; c < g; c++) {
                    double r = post[i * g + c];
                    w[c] += r;
                    if (r < 1e-10) {
                        continue;
                    }
                    int so = c * q;
                    for (int j = 0; j < q; j++) {
                        sums[so + j] += r * a[ao + j];
                    }
                }
            }
            partial[t] = sums;
            partialW[t] = w;
        });
        double[] sums = partial[0];
        double[] weight = partialW[0];
        for (int t = 1; t < tasks; t++) {
            for (int i = 0; i < sums.length; i++) {
                sums[i] += partial[t][i];
            }
            for (int c = 0; c < g; c++) {
                weight[c] += partialW[t][c];
            }
        }
        for (int c = 0; c < g; c++) {
            double w = weight[c] + 10 * Double.MIN_NORMAL;
            logw[c] = Math.log(w / n);
            for (int j = 0; j < p; j++) {
                double m = sums[c * q + p + j] / w;
                double sq = sums[c * q + j] / w;
                mu[c * p + j] = m;
                var[c * p + j] = Math.max(sq - m * m, 0) + floor;
            }
        }
    }

    /** Seeded k-means++ seeding: g centres [g, p] chosen with probability proportional to squared distance. */
    static double[] kmeansPlusPlus(double[] z, int n, int p, int g, Random rnd) {
        double[] centres = new double[g * p];
        double[] dist = new double[n];
        int first = rnd.nextInt(n);
        System.arraycopy(z, first * p, centres, 0, p);
        IntStream.range(0, n).parallel().forEach(i -> dist[i] = sq(z, i, centres, 0, p));
        for (int c = 1; c < g; c++) {
            double total = 0;
            for (double v : dist) {
                total += v;
            }
            int pick = 0;
            if (total > 0) {
                double r = rnd.nextDouble() * total;
                double acc = 0;
                for (pick = 0; pick < n - 1; pick++) {
                    acc += dist[pick];
                    if (acc >= r) {
                        break;
                    }
                }
            } else {
                pick = rnd.nextInt(n);
            }
            System.arraycopy(z, pick * p, centres, c * p, p);
            final int cc = c;
            IntStream.range(0, n).parallel().forEach(i -> dist[i] = Math.min(dist[i], sq(z, i, centres, cc, p)));
        }
        return centres;
    }

    private static double sq(double[] z, int i, double[] centres, int c, int p) {
        double s = 0;
        for (int j = 0; j < p; j++) {
            double dv = z[i * p + j] - centres[c * p + j];
            s += dv * dv;
        }
        return s;
    }
}
