package dev.graft.select;

/**
 * L2-regularised multinomial logistic regression trained with L-BFGS, for {@link LinearProbe}. Parameters are packed as
 * [k, p + 1]: weights then bias per class; the bias is not regularised. Loss = mean cross-entropy + λ/2 ‖W‖².
 */
final class Softmax {
    private Softmax() {}

    static void logits(double[] w, double[] x, int row, int p, int k, double[] out) {
        int q = p + 1;
        for (int y = 0; y < k; y++) {
            double s = w[y * q + p];
            for (int j = 0; j < p; j++) {
                s += w[y * q + j] * x[row * p + j];
            }
            out[y] = s;
        }
    }

    /** Loss and gradient (into grad) at w; the logits are one matrix product [n, p] x [p, k]. */
    static double lossAndGrad(double[] w, double[] x, int[] y, int n, int p, int k, double l2, double[] grad) {
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
            loss += lse - logits[lo + y[i]];
            int xo = i * p;
            for (int c = 0; c < k; c++) {
                double g = Math.exp(logits[lo + c] - lse) - (c == y[i] ? 1 : 0);
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
        double reg = 0;
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < p; j++) {
                double v = w[c * q + j];
                reg += v * v;
                grad[c * q + j] = gw[c * p + j] / n + l2 * v;
            }
            grad[c * q + p] /= n;
        }
        return loss / n + 0.5 * l2 * reg;
    }

    /** Fits the model with L-BFGS (memory 10) from zero weights; returns the packed parameters. */
    static double[] fit(double[] x, int[] y, int n, int p, int k, double l2, int maxIterations) {
        int dim = k * (p + 1);
        int m = 10;
        double[] w = new double[dim];
        double[] g = new double[dim];
        double f = lossAndGrad(w, x, y, n, p, k, l2, g);
        double[][] sHist = new double[m][];
        double[][] yHist = new double[m][];
        double[] rho = new double[m];
        int stored = 0;
        double[] dir = new double[dim];
        double[] alpha = new double[m];
        double[] wNew = new double[dim];
        double[] gNew = new double[dim];
        for (int it = 0; it < maxIterations; it++) {
            double gnorm = norm(g);
            if (gnorm < 1e-6) {
                break;
            }
            // two-loop recursion: dir = −H g
            System.arraycopy(g, 0, dir, 0, dim);
            for (int h = stored - 1; h >= 0; h--) {
                alpha[h] = rho[h] * dot(sHist[h], dir);
                axpy(-alpha[h], yHist[h], dir);
            }
            if (stored > 0) {
                double scale = dot(sHist[stored - 1], yHist[stored - 1]) / dot(yHist[stored - 1], yHist[stored - 1]);
                for (int i = 0; i < dim; i++) {
                    dir[i] *= scale;
                }
            } else {
                for (int i = 0; i < dim; i++) {
                    dir[i] /= gnorm;
                }
            }
            for (int h = 0; h < stored; h++) {
                double beta = rho[h] * dot(yHist[h], dir);
                axpy(alpha[h] - beta, sHist[h], dir);
            }
            for (int i = 0; i < dim; i++) {
                dir[i] = -dir[i];
            }
            double slope = dot(g, dir);
            if (slope >= 0) { // not a descent direction: restart from steepest descent
                stored = 0;
                for (int i = 0; i < dim; i++) {
                    dir[i] = -g[i] / gnorm;
                }
                slope = -gnorm;
            }
            double step = 1;
            double fNew = 0;
            boolean accepted = false;
            for (int ls = 0; ls < 30; ls++) {
                for (int i = 0; i < dim; i++) {
                    wNew[i] = w[i] + step * dir[i];
                }
                fNew = lossAndGrad(wNew, x, y, n, p, k, l2, gNew);
                if (fNew <= f + 1e-4 * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                break;
            }
            double[] s = new double[dim];
            double[] yy = new double[dim];
            for (int i = 0; i < dim; i++) {
                s[i] = wNew[i] - w[i];
                yy[i] = gNew[i] - g[i];
            }
            double sy = dot(s, yy);
            if (sy > 1e-12) {
                if (stored == m) {
                    System.arraycopy(sHist, 1, sHist, 0, m - 1);
                    System.arraycopy(yHist, 1, yHist, 0, m - 1);
                    System.arraycopy(rho, 1, rho, 0, m - 1);
                    stored--;
                }
                sHist[stored] = s;
                yHist[stored] = yy;
                rho[stored] = 1 / sy;
                stored++;
            }
            System.arraycopy(wNew, 0, w, 0, dim);
            System.arraycopy(gNew, 0, g, 0, dim);
            boolean flat = f - fNew < 1e-10 * Math.max(1, Math.abs(f));
            f = fNew;
            if (flat) {
                break;
            }
        }
        return w;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }
}
