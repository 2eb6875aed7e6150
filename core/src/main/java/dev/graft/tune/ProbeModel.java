package dev.graft.tune;

/**
 * One task's L2-penalised linear model on standardised features z [n, p], as the probe fits it. Parameters are
 * packed [C, p + 1]: weights then bias per output; the bias is not penalised. {@code rows} index the examples a call
 * uses, ascending (a cross-validation fold, or all of them).
 */
interface ProbeModel {
    /** Outputs C. */
    int outputs();

    /** What {@link #score} reports first, for the CLI line (e.g. "accuracy"). */
    String metric();

    /** Labels that cross-validation folds should be stratified by, [n], or null. */
    int[] strata();

    /**
     * Minimises mean loss + λ/2 ‖W‖² over {@code rows}.
     *
     * @param start parameters to start from, or null (iterative fits warm-start along the λ path)
     */
    double[] fit(double[] z, int p, int[] rows, double l2, double[] start);

    /** Held-out quality of w on {@code rows}: {metric, tie-break}; by default {the loss, 0}. */
    default double[] score(double[] w, double[] z, int p, int[] rows) {
        return new double[] {loss(w, z, p, rows), 0};
    }

    /** Whether score a is better than score b (strictly); by default the lower loss. */
    default boolean better(double[] a, double[] b) {
        return a[0] < b[0];
    }

    /** The unpenalised mean training loss of w on {@code rows}. */
    double loss(double[] w, double[] z, int p, int[] rows);

    /** The rows (ascending, distinct) of z [n, p] as a dense [rows, p]: z itself when they are all of it. */
    static double[] gather(double[] z, int p, int[] rows) {
        if ((long) rows.length * p == z.length) {
            return z; // all rows in order: no copy of a large feature matrix
        }
        double[] out = new double[rows.length * p];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(z, rows[r] * p, out, r * p, p);
        }
        return out;
    }

    /** The value of the linear output o of packed w on row i of z. */
    static double output(double[] w, double[] z, int p, int i, int o) {
        int q = p + 1;
        double s = w[o * q + p];
        for (int j = 0; j < p; j++) {
            s += w[o * q + j] * z[i * p + j];
        }
        return s;
    }
}
