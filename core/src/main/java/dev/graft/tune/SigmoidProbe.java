package dev.graft.tune;

import dev.graft.select.Lbfgs;

/**
 * Multi-label: one binary logistic regression per label, fitted jointly by one L-BFGS (the objective is their sum,
 * Σ_l [mean_i BCE(z_i·w_l + b_l, y_il) + λ/2 ‖w_l‖²], so the joint minimum is each label's own).
 */
final class SigmoidProbe implements ProbeModel {
    private final double[] y;
    private final int labels;
    private final int maxIterations;
    private final double tolerance;

    /** @param y multi-hot targets [n, labels] */
    SigmoidProbe(double[] y, int labels, int maxIterations, double tolerance) {
        this.y = y;
        this.labels = labels;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    @Override
    public int outputs() {
        return labels;
    }

    @Override
    public String metric() {
        return "log loss";
    }

    @Override
    public int[] strata() {
        return null;
    }

    @Override
    public double[] fit(double[] z, int p, int[] rows, double l2, double[] start) {
        double[] w0 = start != null ? start : new double[labels * (p + 1)];
        return Lbfgs.minimize((w, g) -> valueAndGradient(w, z, p, rows, l2, g), w0, maxIterations, tolerance, 1e-15);
    }

    /** Mean BCE over examples and labels, as training's loss. */
    @Override
    public double loss(double[] w, double[] z, int p, int[] rows) {
        return valueAndGradient(w, z, p, rows, 0, new double[w.length]) / labels;
    }

    private double valueAndGradient(double[] w, double[] z, int p, int[] rows, double l2, double[] grad) {
        java.util.Arrays.fill(grad, 0);
        int q = p + 1;
        int n = rows.length;
        double f = 0;
        for (int i : rows) {
            for (int l = 0; l < labels; l++) {
                double s = ProbeModel.output(w, z, p, i, l);
                double t = y[i * labels + l];
                // stable BCE with logits: max(s, 0) − s·t + log(1 + e^−|s|)
                f += Math.max(s, 0) - s * t + Math.log1p(Math.exp(-Math.abs(s)));
                double d = (1 / (1 + Math.exp(-s)) - t) / n;
                for (int j = 0; j < p; j++) {
                    grad[l * q + j] += d * z[i * p + j];
                }
                grad[l * q + p] += d;
            }
        }
        f /= n;
        for (int l = 0; l < labels; l++) {
            for (int j = 0; j < p; j++) {
                double v = w[l * q + j];
                f += 0.5 * l2 * v * v;
                grad[l * q + j] += l2 * v;
            }
        }
        return f;
    }
}
