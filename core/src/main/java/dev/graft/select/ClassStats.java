package dev.graft.select;

/** Per-class means of a feature matrix, with the class weights πc = nc/n. */
final class ClassStats {
    final int k;
    final int d;
    /** [k, d] row-major class means. */
    final double[] means;
    /** [k] class priors nc/n. */
    final double[] priors;

    ClassStats(double[][] rows, Inputs.Checked c) {
        this.k = c.k();
        this.d = rows[0].length;
        this.means = new double[k * d];
        this.priors = new double[k];
        for (int i = 0; i < rows.length; i++) {
            int o = c.labels()[i] * d;
            double[] row = rows[i];
            for (int j = 0; j < d; j++) {
                means[o + j] += row[j];
            }
        }
        finish(c, rows.length);
    }

    ClassStats(double[] x, int n, int d, Inputs.Checked c) {
        this.k = c.k();
        this.d = d;
        this.means = new double[k * d];
        this.priors = new double[k];
        for (int i = 0; i < n; i++) {
            int o = c.labels()[i] * d;
            for (int j = 0; j < d; j++) {
                means[o + j] += x[i * d + j];
            }
        }
        finish(c, n);
    }

    private void finish(Inputs.Checked c, int n) {
        for (int y = 0; y < k; y++) {
            double cnt = c.counts()[y];
            priors[y] = cnt / n;
            for (int j = 0; j < d; j++) {
                means[y * d + j] /= cnt;
            }
        }
    }

    /** Between-class scatter Σc πc (μc − μ)(μc − μ)ᵀ, [d, d], with μ the overall mean. */
    double[] betweenScatter(double[] mean) {
        double[] sb = new double[d * d];
        double[] diff = new double[d];
        for (int y = 0; y < k; y++) {
            for (int j = 0; j < d; j++) {
                diff[j] = means[y * d + j] - mean[j];
            }
            double w = priors[y];
            for (int i = 0; i < d; i++) {
                double a = w * diff[i];
                for (int j = 0; j < d; j++) {
                    sb[i * d + j] += a * diff[j];
                }
            }
        }
        return sb;
    }
}
