package dev.graft.select;

/**
 * Limited-memory BFGS (Nocedal, "Updating Quasi-Newton Matrices with Limited Storage", Math. Comp. 1980) with memory
 * 10 and Armijo backtracking, for smooth convex objectives over a flat parameter vector. Deterministic.
 */
public final class Lbfgs {
    private static final int MEMORY = 10;

    private Lbfgs() {}

    /** A differentiable objective. */
    @FunctionalInterface
    public interface Objective {
        /** Returns f(w) and writes ∇f(w) into {@code grad} (same length as w). */
        double valueAndGradient(double[] w, double[] grad);
    }

    /**
     * Minimises {@code f} from {@code start} (not changed).
     *
     * @param gradientTolerance stop when ‖∇f‖ falls below it
     * @param flatTolerance     stop when an accepted step lowers f by less than this fraction of max(1, |f|)
     * @return the last accepted point
     */
    public static double[] minimize(Objective f, double[] start, int maxIterations, double gradientTolerance,
                                    double flatTolerance) {
        int dim = start.length;
        int m = MEMORY;
        double[] w = start.clone();
        double[] g = new double[dim];
        double fw = f.valueAndGradient(w, g);
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
            if (gnorm < gradientTolerance) {
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
                fNew = f.valueAndGradient(wNew, gNew);
                if (fNew <= fw + 1e-4 * step * slope) {
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
            boolean flat = fw - fNew < flatTolerance * Math.max(1, Math.abs(fw));
            fw = fNew;
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
