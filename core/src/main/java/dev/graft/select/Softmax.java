package dev.graft.select;

/**
 * L2-regularised multinomial logistic regression trained with L-BFGS, for {@link LinearProbe}. Parameters are packed as
 * [k, p + 1]: weights then bias per class; the bias is not regularised. Loss = mean cross-entropy + λ/2 ‖W‖²; with
 * per-example weights ω, the mean is Σ ω_i·CE_i / Σ ω_i (as PyTorch's weighted CrossEntropyLoss).
 */
public final class Softmax {
    private Softmax() {}

    /** The logits [k] of row {@code row} of x [n, p] into {@code out}. */
    public static void logits(double[] w, double[] x, int row, int p, int k, double[] out) {
        int q = p + 1;
        for (int y = 0; y < k; y++) {
            double s = w[y * q + p];
            for (int j = 0; j < p; j++) {
                s += w[y * q + j] * x[row * p + j];
            }
            out[y] = s;
        }
    }

    /** Loss and gradient (into grad) at w, equal example weights. */
    static double lossAndGrad(double[] w, double[] x, int[] y, int n, int p, int k, double l2, double[] grad) {
        return lossAndGrad(w, x, y, null, n, p, k, l2, grad);
    }

    /**
     * Loss and gradient (into grad) at w; the logits are one matrix product [n, p] x [p, k].
     *
     * @param weights per-example weights [n], or null for equal ones
     */
    public static double lossAndGrad(double[] w, double[] x, int[] y, double[] weights, int n, int p, int k, double l2,
                                     double[] grad) {
        int q = p + 1;
        java.util.Arrays.fill(grad, 0);
        double[] wt = new double[p * k]; // Wᵀ [p, k]
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < p; j++) {
                wt[j * k + c] = w[c * q + j];
            }
        }
        double[] logits = new double[n * k];
        Dense.abTRows(x, wt, logits, k, p, 0, n);
        double loss = 0;
        double[] gw = new double[k * p];
        for (int i = 0; i < n; i++) {
            int lo = i * k;
            for (int c = 0; c < k; c++) {
                logits[lo + c] += w[c * q + p];
            }
            double lse = Dense.logSumExp(logits, lo, k);
            double wi = weights == null ? 1 : weights[i];
            loss += wi * (lse - logits[lo + y[i]]);
            int xo = i * p;
            for (int c = 0; c < k; c++) {
                double g = wi * (Math.exp(logits[lo + c] - lse) - (c == y[i] ? 1 : 0));
                grad[c * q + p] += g;
                if (Math.abs(g) < 1e-12) {
                    continue;
                }
                int o = c * p;
                for (int j = 0; j < p; j++) {
                    gw[o + j] += g * x[xo + j];
                }
            }
        }
        double total = n;
        if (weights != null) {
            total = 0;
            for (int i = 0; i < n; i++) {
                total += weights[i];
            }
        }
        double reg = 0;
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < p; j++) {
                double v = w[c * q + j];
                reg += v * v;
                grad[c * q + j] = gw[c * p + j] / total + l2 * v;
            }
            grad[c * q + p] /= total;
        }
        return loss / total + 0.5 * l2 * reg;
    }

    /** Fits the model with L-BFGS (memory 10) from zero weights; returns the packed parameters. */
    static double[] fit(double[] x, int[] y, int n, int p, int k, double l2, int maxIterations) {
        return Lbfgs.minimize((w, g) -> lossAndGrad(w, x, y, n, p, k, l2, g), new double[k * (p + 1)], maxIterations,
                1e-6, 1e-10);
    }

    /**
     * Fits the model with L-BFGS until the gradient norm falls below {@code gradientTolerance} (or the loss stops
     * moving at double precision, or {@code maxIterations}).
     *
     * @param x       features [n, p]
     * @param weights per-example loss weights [n], or null for equal ones
     * @param start   parameters to start from [k, p + 1], or null for zeros (not changed)
     * @return the packed parameters [k, p + 1]
     */
    public static double[] fit(double[] x, int[] y, double[] weights, int n, int p, int k, double l2, double[] start,
                               int maxIterations, double gradientTolerance) {
        double[] w0 = start != null ? start : new double[k * (p + 1)];
        return Lbfgs.minimize((w, g) -> lossAndGrad(w, x, y, weights, n, p, k, l2, g), w0, maxIterations,
                gradientTolerance, 1e-15);
    }
}
