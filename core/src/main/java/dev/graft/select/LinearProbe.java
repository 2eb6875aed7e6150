package dev.graft.select;

import java.util.stream.IntStream;

/**
 * Cross-validated linear-probe accuracy: multinomial logistic regression on the frozen features, the baseline closest to
 * what fine-tuning a head does. In [0, 1]; higher = better.
 *
 * <p>Reference: Kornblith, Shlens, Le, "Do Better ImageNet Models Transfer Better?", CVPR 2019,
 * https://arxiv.org/abs/1805.08974 (logistic regression on fixed features as the transfer baseline). Made fast for the
 * rank budget: the features are projected on their leading principal components (at most 64) and whitened, so the
 * problem is well conditioned and small; each of 5 stratified folds trains an L2-regularised (λ = 1e-3) softmax
 * regression with L-BFGS (memory 10, at most 40 iterations, Armijo backtracking) and is scored on the held-out fold;
 * folds run in parallel. The PCA basis uses all rows (no labels), a transductive step that does not leak labels.
 * Deterministic. Cost O(folds · iterations · n · p · k).
 */
public final class LinearProbe implements Estimator {
    static final int FOLDS = 5;
    static final int MAX_DIMS = 64;
    static final int MAX_ITERATIONS = 40;
    static final double L2 = 1e-3;

    @Override
    public String name() {
        return "linear-probe";
    }

    @Override
    public String reference() {
        return "Kornblith et al., Do Better ImageNet Models Transfer Better?, CVPR 2019; https://arxiv.org/abs/1805.08974";
    }

    @Override
    public double score(double[][] features, int[] labels, int numClasses) {
        Inputs.Checked c = Inputs.check(features, labels, numClasses);
        FeatureStats s = FeatureStats.of(features);
        int p = Math.min(MAX_DIMS, s.rank());
        double[] z = s.pca(p).clone();
        double[] lambda = s.covEig().values();
        for (int i = 0; i < s.n; i++) {
            for (int j = 0; j < p; j++) {
                z[i * p + j] /= Math.sqrt(lambda[j]);
            }
        }
        int n = s.n;
        int k = c.k();
        int[] fold = new int[n];
        int[] seen = new int[k];
        for (int i = 0; i < n; i++) {
            fold[i] = seen[c.labels()[i]]++ % FOLDS;
        }
        int folds = Math.min(FOLDS, minCount(c.counts()));
        if (folds < FOLDS) {
            for (int i = 0; i < n; i++) {
                fold[i] %= folds;
            }
        }
        int[] correct = new int[folds];
        final int nf = folds;
        IntStream.range(0, nf).parallel().forEach(f -> {
            int trainN = 0;
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    trainN++;
                }
            }
            double[] xs = new double[trainN * p];
            int[] ys = new int[trainN];
            int t = 0;
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    System.arraycopy(z, i * p, xs, t * p, p);
                    ys[t++] = c.labels()[i];
                }
            }
            double[] w = Softmax.fit(xs, ys, trainN, p, k, L2, MAX_ITERATIONS);
            int ok = 0;
            double[] logits = new double[k];
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    continue;
                }
                Softmax.logits(w, z, i, p, k, logits);
                int best = 0;
                for (int y = 1; y < k; y++) {
                    if (logits[y] > logits[best]) {
                        best = y;
                    }
                }
                if (best == c.labels()[i]) {
                    ok++;
                }
            }
            correct[f] = ok;
        });
        int total = 0;
        for (int v : correct) {
            total += v;
        }
        return (double) total / n;
    }

    private static int minCount(int[] counts) {
        int m = Integer.MAX_VALUE;
        for (int v : counts) {
            m = Math.min(m, v);
        }
        return m;
    }
}
