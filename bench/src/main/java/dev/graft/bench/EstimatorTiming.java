package dev.graft.bench;

import dev.graft.select.Estimator;
import dev.graft.select.Estimators;
import java.util.Random;

/**
 * Times every estimator on random clustered features shaped like a `graft rank` call (default 5,000 × 384, 30 classes):
 * each estimator alone on a fresh matrix ("cold": it pays for the shared Gram/eigendecompositions itself), then all of
 * them in a row on one matrix as `rank` does ("shared"). Usage: EstimatorTiming [n] [d] [classes] [rounds]
 */
public final class EstimatorTiming {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int d = args.length > 1 ? Integer.parseInt(args[1]) : 384;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Random r = new Random(1);
        double[][] centres = new double[k][d];
        for (double[] c : centres) {
            for (int j = 0; j < d; j++) {
                c[j] = 0.08 * r.nextGaussian(); // classes overlap: a realistic, not separable, task
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
        System.out.printf("features %d x %d, %d classes, %d threads; best of %d rounds%n", n, d, k,
                Runtime.getRuntime().availableProcessors(), rounds);
        double coldTotal = 0;
        for (Estimator e : Estimators.all()) {
            double best = Double.POSITIVE_INFINITY;
            double value = 0;
            for (int round = 0; round < rounds; round++) {
                double[][] copy = copy(f);
                long t0 = System.nanoTime();
                value = e.score(copy, y, k);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            coldTotal += best;
            System.out.printf("  %-17s cold %7.3f s   score %.6g%n", e.name(), best, value);
        }
        double bestShared = Double.POSITIVE_INFINITY;
        for (int round = 0; round < rounds; round++) {
            double[][] copy = copy(f);
            long t0 = System.nanoTime();
            for (Estimator e : Estimators.all()) {
                e.score(copy, y, k);
            }
            bestShared = Math.min(bestShared, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("all %d estimators: sum of cold %.3f s; shared statistics (as rank runs them) %.3f s%n",
                Estimators.all().size(), coldTotal, bestShared);
    }

    private static double[][] copy(double[][] f) {
        double[][] c = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            c[i] = f[i].clone();
        }
        return c;
    }
}
