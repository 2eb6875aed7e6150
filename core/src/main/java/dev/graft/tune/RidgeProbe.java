package dev.graft.tune;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Regression: ridge regression in closed form. Minimises mean ½(y − z·w − b)² + λ/2 ‖w‖², i.e. solves
 * (Z_cᵀ Z_c / n + λ I) w = Z_cᵀ (y − ȳ) / n on the rows' centred features Z_c, with b = ȳ − z̄·w.
 */
final class RidgeProbe implements ProbeModel {
    private final double[] y;

    /** @param y targets [n] */
    RidgeProbe(double[] y) {
        this.y = y;
    }

    @Override
    public int outputs() {
        return 1;
    }

    @Override
    public String metric() {
        return "mean squared error";
    }

    @Override
    public int[] strata() {
        return null;
    }

    @Override
    public double[] fit(double[] z, int p, int[] rows, double l2, double[] start) {
        int n = rows.length;
        double[] mean = new double[p];
        double yMean = 0;
        for (int i : rows) {
            for (int j = 0; j < p; j++) {
                mean[j] += z[i * p + j] / n;
            }
            yMean += y[i] / n;
        }
        DMatrixRMaj zc = new DMatrixRMaj(n, p);
        DMatrixRMaj yc = new DMatrixRMaj(n, 1);
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) {
                zc.set(r, j, z[rows[r] * p + j] - mean[j]);
            }
            yc.set(r, 0, y[rows[r]] - yMean);
        }
        DMatrixRMaj a = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multTransA(1.0 / n, zc, zc, a);
        for (int j = 0; j < p; j++) {
            a.add(j, j, l2);
        }
        DMatrixRMaj rhs = new DMatrixRMaj(p, 1);
        CommonOps_DDRM.multTransA(1.0 / n, zc, yc, rhs);
        DMatrixRMaj sol = new DMatrixRMaj(p, 1);
        if (!CommonOps_DDRM.solveSPD(a, rhs, sol)) {
            CommonOps_DDRM.solve(a, rhs, sol); // λ = 0 on rank-deficient features
        }
        double[] w = new double[p + 1];
        double b = yMean;
        for (int j = 0; j < p; j++) {
            w[j] = sol.get(j, 0);
            b -= w[j] * mean[j];
        }
        w[p] = b;
        return w;
    }

    /** The mean squared error, as training's loss. */
    @Override
    public double loss(double[] w, double[] z, int p, int[] rows) {
        double s = 0;
        for (int i : rows) {
            double r = y[i] - ProbeModel.output(w, z, p, i, 0);
            s += r * r;
        }
        return s / rows.length;
    }
}
