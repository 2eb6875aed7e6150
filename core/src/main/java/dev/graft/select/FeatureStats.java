package dev.graft.select;

/**
 * Label-independent statistics of one feature matrix, computed once and shared by every estimator that scores it:
 * the centred Gram matrix (one O(n·d²) pass, the dominant cost), the raw Gram derived from it, and their symmetric
 * eigendecompositions and principal-component projections, each computed lazily on first use. The last two matrices
 * seen are cached by identity plus a content fingerprint, so ranking one model with eleven estimators pays for the Gram
 * and the eigendecompositions once, and a caller that mutates its array in place still gets fresh statistics.
 */
final class FeatureStats {
    final int n;
    final int d;
    /** The caller's rows (read only). */
    final double[][] rows;
    /** [d] column means. */
    final double[] mean;

    private double[] flat;
    private double[] centred;

    private double[] centredGram;
    private double[] rawGram;
    private Dense.Eig covEig;
    private Dense.Eig rawEig;
    private double[] pcaCache;
    private int pcaCacheDims = -1;

    private FeatureStats(double[][] features) {
        this.n = features.length;
        this.d = features[0].length;
        this.rows = features;
        this.mean = new double[d];
        for (double[] row : features) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
    }

    /** [n, d] row-major copy of the features (made on first use; shared, do not modify). */
    synchronized double[] x() {
        if (flat == null) {
            flat = Dense.flatten(rows);
        }
        return flat;
    }

    /** [n, d] row-major centred features (made on first use; shared, do not modify). */
    synchronized double[] centred() {
        if (centred == null) {
            double[] c = new double[n * d];
            for (int i = 0; i < n; i++) {
                double[] row = rows[i];
                for (int j = 0; j < d; j++) {
                    c[i * d + j] = row[j] - mean[j];
                }
            }
            centred = c;
        }
        return centred;
    }

    private record Entry(double[][] ref, long fingerprint, FeatureStats stats) {}

    private static final Entry[] CACHE = new Entry[2];

    /** Statistics of a validated feature matrix (see {@link Inputs#check}). */
    static FeatureStats of(double[][] features) {
        long fp = fingerprint(features);
        synchronized (CACHE) {
            for (Entry e : CACHE) {
                if (e != null && e.ref == features && e.fingerprint == fp) {
                    return e.stats;
                }
            }
        }
        FeatureStats s = new FeatureStats(features);
        synchronized (CACHE) {
            CACHE[1] = CACHE[0];
            CACHE[0] = new Entry(features, fp, s);
        }
        return s;
    }

    private static long fingerprint(double[][] f) {
        long h = 1469598103934665603L ^ f.length;
        for (double[] row : f) {
            for (double v : row) {
                h = (h ^ Double.doubleToRawLongBits(v)) * 1099511628211L;
            }
            h = Long.rotateLeft(h, 7);
        }
        return h;
    }

    /** (X − μ)ᵀ(X − μ), [d, d]. */
    synchronized double[] centredGram() {
        if (centredGram == null) {
            centredGram = Dense.centredGram(rows, mean);
        }
        return centredGram;
    }

    /** Biased covariance (X − μ)ᵀ(X − μ) / n, [d, d] (a fresh copy). */
    double[] cov() {
        double[] g = centredGram().clone();
        for (int i = 0; i < g.length; i++) {
            g[i] /= n;
        }
        return g;
    }

    /** XᵀX = (X − μ)ᵀ(X − μ) + n μμᵀ, [d, d]: sums of positive terms, so no cancellation. */
    synchronized double[] rawGram() {
        if (rawGram == null) {
            double[] c = centredGram();
            double[] g = new double[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    g[i * d + j] = c[i * d + j] + n * mean[i] * mean[j];
                }
            }
            rawGram = g;
        }
        return rawGram;
    }

    /** Eigendecomposition of the biased covariance (values in decreasing order, clamped at 0). */
    synchronized Dense.Eig covEig() {
        if (covEig == null) {
            Dense.Eig e = Dense.eigSymmetric(cov(), d);
            for (int i = 0; i < d; i++) {
                e.values()[i] = Math.max(0, e.values()[i]);
            }
            covEig = e;
        }
        return covEig;
    }

    /** Eigendecomposition of XᵀX (values in decreasing order, clamped at 0). */
    synchronized Dense.Eig rawEig() {
        if (rawEig == null) {
            Dense.Eig e = Dense.eigSymmetric(rawGram(), d);
            for (int i = 0; i < d; i++) {
                e.values()[i] = Math.max(0, e.values()[i]);
            }
            rawEig = e;
        }
        return rawEig;
    }

    /** Number of leading principal components holding {@code fraction} of the variance, at most {@code cap}. */
    int componentsFor(double fraction, int cap) {
        double[] v = covEig().values();
        double total = 0;
        for (double e : v) {
            total += e;
        }
        double acc = 0;
        int p = 0;
        while (p < d && acc < fraction * total) {
            acc += v[p++];
        }
        return Math.max(1, Math.min(Math.min(p, cap), rank()));
    }

    /** Numerical rank of the covariance (eigenvalues above 1e-12 of the largest). */
    int rank() {
        double[] v = covEig().values();
        int r = 0;
        for (double e : v) {
            if (e > v[0] * 1e-12) {
                r++;
            }
        }
        return Math.max(1, r);
    }

    /** Centred features projected on the first p principal components, [n, p] row-major (shared, do not modify). */
    synchronized double[] pca(int p) {
        if (pcaCacheDims != p) {
            pcaCache = Dense.project(centred(), n, d, new double[d], covEig().vectors(), p);
            pcaCacheDims = p;
        }
        return pcaCache;
    }
}
