package dev.graft.carry;

import dev.graft.GraftException;

/**
 * How closely a carried adaptation reproduces its source on unlabeled texts ("will it carry?"), measured without labels.
 *
 * <ul>
 *   <li>classifiers ({@code measure = "predictions"}): the share of texts with the same arg-max class (multi-label:
 *       the same set of labels above 0.5), and the mean total-variation distance between the two probability vectors
 *       (½·Σ|p − q| for a softmax; the mean |p − q| per label for sigmoids). The threshold applies to the share;
 *       default {@value #DEFAULT_MIN_PREDICTIONS}.</li>
 *   <li>embeddings ({@code measure = "embeddings"}: retrieval adapters, regression, whole models): the mean and the 5th
 *       percentile of the cosine between the source's and the carried model's embedding of each text. The threshold
 *       applies to the mean; default {@value #DEFAULT_MIN_EMBEDDINGS}.</li>
 * </ul>
 *
 * @param measure            "predictions" or "embeddings"
 * @param texts              how many texts were compared
 * @param agreement          share of identical predictions (NaN for embeddings)
 * @param meanTotalVariation mean total-variation distance (NaN for embeddings)
 * @param meanCosine         mean cosine (NaN for predictions)
 * @param p5Cosine           5th-percentile cosine (NaN for predictions)
 */
public record Agreement(String measure, int texts, double agreement, double meanTotalVariation, double meanCosine,
                        double p5Cosine) {
    /** Default least share of identical predictions for a classifier. */
    public static final double DEFAULT_MIN_PREDICTIONS = 0.9;
    /** Default least mean cosine between embeddings. */
    public static final double DEFAULT_MIN_EMBEDDINGS = 0.95;
    public static final String PREDICTIONS = "predictions";
    public static final String EMBEDDINGS = "embeddings";

    /** The number the threshold applies to: {@link #agreement()} or {@link #meanCosine()}. */
    public double value() {
        return measure.equals(PREDICTIONS) ? agreement : meanCosine;
    }

    /** The default threshold for this measure. */
    public double defaultMinimum() {
        return measure.equals(PREDICTIONS) ? DEFAULT_MIN_PREDICTIONS : DEFAULT_MIN_EMBEDDINGS;
    }

    /** One line for people: "agreement 0.97 (identical predictions on 200 texts; mean total variation 0.021)". */
    public String describe() {
        return measure.equals(PREDICTIONS)
                ? String.format(java.util.Locale.ROOT, "agreement %.4f (identical predictions on %d texts; mean total variation %.4f)",
                        agreement, texts, meanTotalVariation)
                : String.format(java.util.Locale.ROOT, "mean cosine %.4f, 5th percentile %.4f (embeddings of %d texts)",
                        meanCosine, p5Cosine, texts);
    }

    /**
     * Compares class probabilities.
     *
     * @param source  [n][C] the source model's probabilities
     * @param carried [n][C] the carried model's
     * @param softmax true for one label per text (arg-max), false for independent sigmoids (labels above 0.5)
     */
    public static Agreement ofPredictions(float[][] source, float[][] carried, boolean softmax) {
        check(source, carried);
        int same = 0;
        double tv = 0;
        for (int i = 0; i < source.length; i++) {
            float[] p = source[i];
            float[] q = carried[i];
            double d = 0;
            for (int c = 0; c < p.length; c++) {
                d += Math.abs(p[c] - q[c]);
            }
            tv += softmax ? d / 2 : d / Math.max(1, p.length);
            same += (softmax ? argmax(p) == argmax(q) : sameLabels(p, q)) ? 1 : 0;
        }
        int n = source.length;
        return new Agreement(PREDICTIONS, n, n == 0 ? Double.NaN : (double) same / n, n == 0 ? Double.NaN : tv / n,
                Double.NaN, Double.NaN);
    }

    /**
     * Compares embeddings.
     *
     * @param source  [n][H] the source model's embeddings
     * @param carried [n][H] the carried model's
     */
    public static Agreement ofEmbeddings(float[][] source, float[][] carried) {
        check(source, carried);
        int n = source.length;
        double[] cos = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            cos[i] = cosine(source[i], carried[i]);
            sum += cos[i];
        }
        java.util.Arrays.sort(cos);
        // the 5th percentile by linear interpolation between order statistics (NumPy's default)
        double p5 = Double.NaN;
        if (n > 0) {
            double pos = 0.05 * (n - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(n - 1, lo + 1);
            p5 = cos[lo] + (pos - lo) * (cos[hi] - cos[lo]);
        }
        return new Agreement(EMBEDDINGS, n, Double.NaN, Double.NaN, n == 0 ? Double.NaN : sum / n, p5);
    }

    /** cos(a, b); 1 for two zero vectors, 0 for one. */
    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return na == nb ? 1 : 0;
        }
        return dot / Math.sqrt(na * nb);
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    private static boolean sameLabels(float[] p, float[] q) {
        for (int i = 0; i < p.length; i++) {
            if ((p[i] > 0.5f) != (q[i] > 0.5f)) {
                return false;
            }
        }
        return true;
    }

    private static void check(float[][] a, float[][] b) {
        if (a.length != b.length) {
            throw new GraftException("agreement: " + a.length + " source rows but " + b.length + " carried rows");
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new GraftException("agreement: row " + i + " has " + a[i].length + " source values but "
                        + b[i].length + " carried values");
            }
        }
    }
}
