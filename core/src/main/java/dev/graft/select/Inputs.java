package dev.graft.select;

import dev.graft.GraftException;

/**
 * The one place where estimator inputs are validated, so every estimator fails the same way on the same bad input.
 * Rules: features are a non-empty rectangular [n, d] matrix of finite values (NaN or infinity is an error naming the
 * cell); labels have n entries in [0, numClasses); at least two classes are present; every present class has at least
 * two examples (one example has no within-class spread, which half of the estimators need); the features are not the
 * same row repeated (all-constant features carry no information and make covariances zero). Classes that never occur
 * are dropped and the rest renumbered densely, which no estimator's value depends on (label-permutation invariance).
 */
public final class Inputs {
    private Inputs() {}

    /**
     * Validated, densely relabelled input.
     *
     * @param n      examples
     * @param d      feature dimension
     * @param k      classes present
     * @param labels [n] labels renumbered to [0, k) in order of the original class id
     * @param counts [k] examples per class
     */
    public record Checked(int n, int d, int k, int[] labels, int[] counts) {}

    /** Validates features and labels; see the class comment for the rules. */
    public static Checked check(double[][] features, int[] labels, int numClasses) {
        int d = checkFeatures(features);
        return checkLabels(labels, features.length, numClasses, d, features);
    }

    /** Validates a feature matrix alone; returns its dimension. */
    static int checkFeatures(double[][] features) {
        return checkMatrix(features, "features");
    }

    /** Validates a non-empty rectangular matrix of finite values named {@code what} in messages; returns its width. */
    static int checkMatrix(double[][] features, String what) {
        if (features == null || features.length == 0) {
            throw new GraftException(what + ": expected at least one row, got none");
        }
        if (features[0] == null || features[0].length == 0) {
            throw new GraftException(what + ": row 0 is empty; expected d >= 1 values per row");
        }
        int d = features[0].length;
        for (int i = 0; i < features.length; i++) {
            double[] row = features[i];
            if (row == null || row.length != d) {
                throw new GraftException(what + ": row " + i + " has " + (row == null ? 0 : row.length)
                        + " values, expected " + d + " like row 0");
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(row[j])) {
                    throw new GraftException(what + "[" + i + "][" + j + "] is " + row[j] + "; expected a finite number");
                }
            }
        }
        return d;
    }

    private static Checked checkLabels(int[] labels, int n, int numClasses, int d, double[][] features) {
        if (labels == null || labels.length != n) {
            throw new GraftException("labels: expected " + n + " labels (one per feature row), got "
                    + (labels == null ? 0 : labels.length));
        }
        if (numClasses < 2) {
            throw new GraftException("numClasses is " + numClasses + "; a classification task needs at least 2");
        }
        int[] raw = new int[numClasses];
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            if (y < 0 || y >= numClasses) {
                throw new GraftException("labels[" + i + "] is " + y + "; expected a class id in [0, " + numClasses + ")");
            }
            raw[y]++;
        }
        int[] map = new int[numClasses];
        int k = 0;
        for (int c = 0; c < numClasses; c++) {
            if (raw[c] == 1) {
                throw new GraftException("labels: class " + c + " has a single example; each class present needs at least 2");
            }
            map[c] = raw[c] > 0 ? k++ : -1;
        }
        if (k < 2) {
            throw new GraftException("labels: only " + k + " class present; transferability needs at least 2 classes");
        }
        int[] dense = new int[n];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            dense[i] = map[labels[i]];
            counts[dense[i]]++;
        }
        if (isConstant(features)) {
            throw new GraftException("features: every row is identical (constant features carry no information)");
        }
        return new Checked(n, d, k, dense, counts);
    }

    private static boolean isConstant(double[][] f) {
        double[] first = f[0];
        for (int i = 1; i < f.length; i++) {
            double[] row = f[i];
            for (int j = 0; j < first.length; j++) {
                if (row[j] != first[j]) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Fails with a clear message if a score came out non-finite (an estimator bug or an extreme input). */
    static double finite(String estimator, double value) {
        if (!Double.isFinite(value)) {
            throw new GraftException(estimator + ": score is " + value
                    + " (features too ill-conditioned for this estimator; try standardising or another metric)");
        }
        return value;
    }
}
