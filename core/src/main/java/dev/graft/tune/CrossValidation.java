package dev.graft.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Chooses the L2 strength of a {@link ProbeModel} by k-fold cross-validation along a λ path from strong to weak
 * regularisation. Each fold warm-starts from its previous λ's solution (the path is smooth, so later fits take few
 * iterations), and the walk stops once three λ in a row score worse than the best so far (held-out quality is
 * unimodal in λ in practice). On a tie the stronger λ stays. Folds are stratified by the model's strata when it has
 * them: examples ordered by stratum are dealt to the folds in turn. Folds run in parallel; the result is
 * deterministic.
 */
final class CrossValidation {
    private CrossValidation() {}

    /**
     * The chosen λ and its held-out score (over all rows, weighted by fold size).
     *
     * @param folds the number of folds actually used (0 when there were too few examples to hold any out)
     */
    record Choice(double lambda, double[] score, int folds) {
    }

    /**
     * @param grid  λ values, strongest first
     * @param folds the wanted number of folds (fewer with fewer examples)
     */
    static Choice choose(ProbeModel model, double[] z, int n, int p, double[] grid, int folds) {
        int k = Math.min(folds, n);
        if (k < 2) {
            return new Choice(grid[grid.length / 2], new double[] {Double.NaN, Double.NaN}, 0);
        }
        int[][] train = new int[k][];
        int[][] test = new int[k][];
        assign(model.strata(), n, k, train, test);
        double[][] warm = new double[k][];
        Choice best = null;
        int worse = 0;
        for (double lambda : grid) {
            double[][] scores = new double[k][];
            IntStream.range(0, k).parallel().forEach(f -> {
                warm[f] = model.fit(z, p, train[f], lambda, warm[f]);
                scores[f] = model.score(warm[f], z, p, test[f]);
            });
            double[] pooled = new double[scores[0].length];
            for (int f = 0; f < k; f++) {
                for (int s = 0; s < pooled.length; s++) {
                    pooled[s] += scores[f][s] * test[f].length / n;
                }
            }
            if (best == null || model.better(pooled, best.score())) {
                best = new Choice(lambda, pooled, k);
                worse = 0;
            } else if (model.better(best.score(), pooled) && ++worse == 3) {
                break;
            }
        }
        return best;
    }

    /** Deals examples (ordered by stratum, then input order) to k folds in turn. */
    private static void assign(int[] strata, int n, int k, int[][] train, int[][] test) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (strata != null) {
            java.util.Arrays.sort(order, (a, b) -> strata[a] != strata[b] ? Integer.compare(strata[a], strata[b])
                    : Integer.compare(a, b));
        }
        int[] fold = new int[n];
        for (int r = 0; r < n; r++) {
            fold[order[r]] = r % k;
        }
        for (int f = 0; f < k; f++) {
            List<Integer> in = new ArrayList<>();
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                (fold[i] == f ? out : in).add(i);
            }
            train[f] = in.stream().mapToInt(Integer::intValue).toArray();
            test[f] = out.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
