package dev.graft.tune;

import dev.graft.select.Softmax;

/**
 * Classification: multinomial logistic regression fitted by L-BFGS ({@link Softmax}) to a gradient-norm tolerance.
 * With class weights the loss and the held-out accuracy weigh each example by its class's weight, as training does.
 */
final class SoftmaxProbe implements ProbeModel {
    private final int[] y;
    private final double[] weights;
    private final int k;
    private final int maxIterations;
    private final double tolerance;

    /**
     * @param y       class indices [n]
     * @param weights per-example weights [n], or null
     * @param k       classes
     */
    SoftmaxProbe(int[] y, double[] weights, int k, int maxIterations, double tolerance) {
        this.y = y;
        this.weights = weights;
        this.k = k;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    @Override
    public int outputs() {
        return k;
    }

    @Override
    public String metric() {
        return weights == null ? "accuracy" : "class-weighted accuracy";
    }

    @Override
    public int[] strata() {
        return y;
    }

    @Override
    public double[] fit(double[] z, int p, int[] rows, double l2, double[] start) {
        return Softmax.fit(ProbeModel.gather(z, p, rows), labels(rows), weightsOf(rows), rows.length, p, k, l2, start,
                maxIterations, tolerance);
    }

    @Override
    public double[] score(double[] w, double[] z, int p, int[] rows) {
        double[] logits = new double[k];
        double right = 0;
        double total = 0;
        for (int i : rows) {
            Softmax.logits(w, z, i, p, k, logits);
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (logits[c] > logits[best]) {
                    best = c;
                }
            }
            double wi = weights == null ? 1 : weights[i];
            right += best == y[i] ? wi : 0;
            total += wi;
        }
        return new double[] {right / total, loss(w, z, p, rows)};
    }

    /** Higher accuracy; on a tie (common on small folds), lower held-out cross-entropy. */
    @Override
    public boolean better(double[] a, double[] b) {
        return a[0] > b[0] || (a[0] == b[0] && a[1] < b[1]);
    }

    @Override
    public double loss(double[] w, double[] z, int p, int[] rows) {
        return Softmax.lossAndGrad(w, ProbeModel.gather(z, p, rows), labels(rows), weightsOf(rows), rows.length, p, k, 0,
                new double[w.length]);
    }

    private int[] labels(int[] rows) {
        int[] out = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            out[r] = y[rows[r]];
        }
        return out;
    }

    private double[] weightsOf(int[] rows) {
        if (weights == null) {
            return null;
        }
        double[] out = new double[rows.length];
        for (int r = 0; r < rows.length; r++) {
            out[r] = weights[rows[r]];
        }
        return out;
    }
}
