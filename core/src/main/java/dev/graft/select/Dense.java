package dev.graft.select;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Dense kernels the estimators share. Matrices are row-major {@code double[]}. The two products that dominate
 * ({@code XᵀX} and {@code ABᵀ}) are written as register-blocked axpy loops, which HotSpot vectorises, and split over
 * the common fork-join pool; decompositions come from EJML (symmetric QR eigen solver, Cholesky), never hand-written.
 */
final class Dense {
    private Dense() {}

    static int threads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Copies [n][d] rows into one row-major array. */
    static double[] flatten(double[][] rows) {
        int n = rows.length;
        int d = rows[0].length;
        double[] x = new double[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows[i], 0, x, i * d, d);
        }
        return x;
    }

    /** Column means of a row-major [n, d] matrix. */
    static double[] mean(double[] x, int n, int d) {
        double[] m = new double[d];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            for (int j = 0; j < d; j++) {
                m[j] += x[o + j];
            }
        }
        for (int j = 0; j < d; j++) {
            m[j] /= n;
        }
        return m;
    }

    /**
     * G = XᵀX for row-major X [n, d]; returns the full symmetric [d, d]. Each task accumulates the upper triangle of
     * its own row range four rows at a time (one pass over G per four rows), then the partial sums are added.
     */
    static double[] gram(double[] x, int n, int d) {
        return overRowRanges(n, d, (lo, hi) -> gramRange(x, d, lo, hi));
    }

    /** The upper triangle of a [d, d] Gram matrix over rows [lo, hi) of the data. */
    private interface RangeGram {
        double[] of(int lo, int hi);
    }

    /**
     * Splits rows [0, n) into one contiguous range per task, runs {@code range} on each in parallel, adds the partial
     * upper triangles in task order (so the sum does not depend on scheduling) and mirrors it: the full symmetric [d, d].
     */
    private static double[] overRowRanges(int n, int d, RangeGram range) {
        int tasks = Math.min(threads(), Math.max(1, n / 64));
        double[][] parts = new double[tasks][];
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int lo = (int) ((long) n * t / tasks);
            int hi = (int) ((long) n * (t + 1) / tasks);
            parts[t] = range.of(lo, hi);
        });
        double[] g = parts[0];
        for (int t = 1; t < tasks; t++) {
            double[] p = parts[t];
            for (int i = 0; i < g.length; i++) {
                g[i] += p[i];
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                g[i * d + j] = g[j * d + i];
            }
        }
        return g;
    }

    private static double[] gramRange(double[] x, int d, int lo, int hi) {
        double[] g = new double[d * d];
        int r = lo;
        for (; r + 3 < hi; r += 4) {
            int o0 = r * d;
            int o1 = o0 + d;
            int o2 = o1 + d;
            int o3 = o2 + d;
            for (int i = 0; i < d; i++) {
                double a0 = x[o0 + i];
                double a1 = x[o1 + i];
                double a2 = x[o2 + i];
                double a3 = x[o3 + i];
                int gi = i * d;
                for (int j = i; j < d; j++) {
                    g[gi + j] += a0 * x[o0 + j] + a1 * x[o1 + j] + a2 * x[o2 + j] + a3 * x[o3 + j];
                }
            }
        }
        for (; r < hi; r++) {
            int o = r * d;
            for (int i = 0; i < d; i++) {
                double a = x[o + i];
                int gi = i * d;
                for (int j = i; j < d; j++) {
                    g[gi + j] += a * x[o + j];
                }
            }
        }
        return g;
    }

    /**
     * Multiply-adds (n·d²) from which the engine's GEMM beats the Java kernel below, crossing into native code
     * included (measured by bench/logme.sh; small inputs such as the tests' stay in Java).
     */
    static final long ENGINE_GRAM_MIN_WORK = 20_000_000L;

    /**
     * (X − μ)ᵀ(X − μ) for the rows of X [n][d]; returns the full symmetric [d, d]. Large inputs go through the
     * engine's BLAS ({@link EngineGram}), small ones through {@link #javaCentredGram}.
     */
    static double[] centredGram(double[][] rows, double[] mean) {
        long work = (long) rows.length * mean.length * mean.length;
        return work >= ENGINE_GRAM_MIN_WORK ? EngineGram.centred(rows, mean) : javaCentredGram(rows, mean);
    }

    /**
     * (X − μ)ᵀ(X − μ) in plain Java, centring four rows at a time into a small buffer, so no centred copy of X is made;
     * returns the full symmetric [d, d].
     */
    static double[] javaCentredGram(double[][] rows, double[] mean) {
        int n = rows.length;
        int d = mean.length;
        return overRowRanges(n, d, (lo, hi) -> {
            double[] buf = new double[4 * d];
            double[] g = new double[d * d];
            for (int r = lo; r < hi; r += 4) {
                int m = Math.min(4, hi - r);
                java.util.Arrays.fill(buf, 0);
                for (int b = 0; b < m; b++) {
                    double[] row = rows[r + b];
                    for (int j = 0; j < d; j++) {
                        buf[b * d + j] = row[j] - mean[j];
                    }
                }
                accumulate4(buf, d, g); // zero rows contribute nothing
            }
            return g;
        });
    }

    /** Upper triangle of G += Σ_{b<4} x_b x_bᵀ for four rows stored back to back in x. */
    private static void accumulate4(double[] x, int d, double[] g) {
        int o1 = d;
        int o2 = 2 * d;
        int o3 = 3 * d;
        for (int i = 0; i < d; i++) {
            double a0 = x[i];
            double a1 = x[o1 + i];
            double a2 = x[o2 + i];
            double a3 = x[o3 + i];
            int gi = i * d;
            for (int j = i; j < d; j++) {
                g[gi + j] += a0 * x[j] + a1 * x[o1 + j] + a2 * x[o2 + j] + a3 * x[o3 + j];
            }
        }
    }

    /** Transpose of row-major [rows, cols]. */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    /** C = A Bᵀ for A [na, d], B [nb, d]: returns [na, nb]. Rows of A are split across tasks. */
    static double[] abT(double[] a, int na, double[] b, int nb, int d) {
        double[] bt = transpose(b, nb, d);
        double[] c = new double[na * nb];
        int blocks = (na + 15) / 16;
        IntStream.range(0, blocks).parallel().forEach(blk -> abTRows(a, bt, c, nb, d, blk * 16, Math.min(na, blk * 16 + 16)));
        return c;
    }

    /** Rows [lo, hi) of C = A Bᵀ given Bᵀ [d, nb]; two rows of A share each pass over Bᵀ. */
    static void abTRows(double[] a, double[] bt, double[] c, int nb, int d, int lo, int hi) {
        int i = lo;
        for (; i + 1 < hi; i += 2) {
            int c0 = i * nb;
            int c1 = c0 + nb;
            int a0o = i * d;
            int a1o = a0o + d;
            for (int k = 0; k < d; k++) {
                double s0 = a[a0o + k];
                double s1 = a[a1o + k];
                int bo = k * nb;
                for (int j = 0; j < nb; j++) {
                    double v = bt[bo + j];
                    c[c0 + j] += s0 * v;
                    c[c1 + j] += s1 * v;
                }
            }
        }
        for (; i < hi; i++) {
            int c0 = i * nb;
            int ao = i * d;
            for (int k = 0; k < d; k++) {
                double s = a[ao + k];
                int bo = k * nb;
                for (int j = 0; j < nb; j++) {
                    c[c0 + j] += s * bt[bo + j];
                }
            }
        }
    }

    /** Symmetric eigendecomposition, eigenvalues in decreasing order. */
    record Eig(double[] values, double[][] vectors) {}

    /** Eigendecomposition of a symmetric [d, d] matrix with EJML's symmetric QR algorithm. */
    static Eig eigSymmetric(double[] sym, int d) {
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        System.arraycopy(sym, 0, m.data, 0, d * d);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(m)) {
            throw new dev.graft.GraftException("symmetric eigendecomposition of a " + d + "x" + d
                    + " feature covariance did not converge (features too ill-conditioned)");
        }
        Integer[] order = new Integer[d];
        double[] raw = new double[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
            raw[i] = eig.getEigenvalue(i).real;
        }
        Arrays.sort(order, (p, q) -> Double.compare(raw[q], raw[p]));
        double[] values = new double[d];
        double[][] vectors = new double[d][];
        for (int i = 0; i < d; i++) {
            values[i] = raw[order[i]];
            vectors[i] = eig.getEigenVector(order[i]).data.clone();
        }
        return new Eig(values, vectors);
    }

    /** log det of a symmetric positive-definite [d, d] matrix via EJML's Cholesky; NaN if not positive definite. */
    static double logDetSpd(double[] spd, int d) {
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        System.arraycopy(spd, 0, m.data, 0, d * d);
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(d, true);
        if (!chol.decompose(m)) {
            return Double.NaN;
        }
        DMatrixRMaj t = chol.getT(null);
        double s = 0;
        for (int i = 0; i < d; i++) {
            s += Math.log(t.get(i, i));
        }
        return 2 * s;
    }

    /** Solves S X = B for symmetric positive-definite S [d, d] and B [d, m] (row-major); returns X [d, m]. */
    static double[] solveSpd(double[] spd, int d, double[] b, int m) {
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        System.arraycopy(spd, 0, s.data, 0, d * d);
        var solver = org.ejml.dense.row.factory.LinearSolverFactory_DDRM.chol(d);
        if (!solver.setA(s)) {
            throw new dev.graft.GraftException("a regularised " + d + "x" + d + " scatter matrix is not positive definite"
                    + " (features too ill-conditioned for this estimator; try another metric)");
        }
        DMatrixRMaj rhs = new DMatrixRMaj(d, m);
        System.arraycopy(b, 0, rhs.data, 0, d * m);
        DMatrixRMaj out = new DMatrixRMaj(d, m);
        solver.solve(rhs, out);
        return out.data;
    }

    /** Projects centred rows of X [n, d] (minus mean) onto the first p eigenvectors: returns [n, p]. */
    static double[] project(double[] x, int n, int d, double[] mean, double[][] vectors, int p) {
        double[] basis = new double[p * d];
        for (int i = 0; i < p; i++) {
            System.arraycopy(vectors[i], 0, basis, i * d, d);
        }
        double[] proj = abT(x, n, basis, p, d);
        double[] shift = new double[p];
        for (int i = 0; i < p; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += mean[j] * basis[i * d + j];
            }
            shift[i] = s;
        }
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) {
                proj[r * p + i] -= shift[i];
            }
        }
        return proj;
    }

    static double logSumExp(double[] v, int off, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            max = Math.max(max, v[off + i]);
        }
        double s = 0;
        for (int i = 0; i < len; i++) {
            s += Math.exp(v[off + i] - max);
        }
        return max + Math.log(s);
    }
}
