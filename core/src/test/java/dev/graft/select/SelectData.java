package dev.graft.select;

import java.util.Random;

/** Synthetic labelled features for the estimator tests: Gaussian classes around random centres. */
final class SelectData {
    final double[][] features;
    final int[] labels;
    final int numClasses;

    SelectData(double[][] features, int[] labels, int numClasses) {
        this.features = features;
        this.labels = labels;
        this.numClasses = numClasses;
    }

    /** n examples in k balanced classes, d dims, class centres ~ N(0, separation²), unit within-class noise. */
    static SelectData clusters(int n, int d, int k, double separation, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[k][d];
        for (double[] c : centres) {
            for (int j = 0; j < d; j++) {
                c[j] = separation * r.nextGaussian();
            }
        }
        double[][] f = new double[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % k;
            for (int j = 0; j < d; j++) {
                f[i][j] = centres[y[i]][j] + r.nextGaussian();
            }
        }
        return new SelectData(f, y, k);
    }

    /** The same features with labels shuffled (a task the features know nothing about). */
    SelectData shuffled(long seed) {
        int[] y = labels.clone();
        Random r = new Random(seed);
        for (int i = y.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = y[i];
            y[i] = y[j];
            y[j] = t;
        }
        return new SelectData(features, y, numClasses);
    }

    static double[][] copy(double[][] f) {
        double[][] c = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            c[i] = f[i].clone();
        }
        return c;
    }
}
