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
     * @param start a fold's parameters at λ, a warm start for the refit on all examples; null without folds
     */
    record Choice(double lambda, double[] score, int folds, double[] start) {
    }

    /**
     * @param rows  the examples to cross-validate on (all, or a {@link #subsample})
     * @param grid  λ values, strongest first
     * @param folds the wanted number of folds (fewer with fewer examples)
     */
    static Choice choose(ProbeModel model, double[] z, int[] rows, int p, double[] grid, int folds) {
        int n = rows.length;
        int k = Math.min(folds, n);
        if (k < 2) {
            return new Choice(grid[grid.length / 2], new double[] {Double.NaN, Double.NaN}, 0, null);
        }
        int[][] train = new int[k][];
        int[][] test = new int[k][];
        assign(stratified(model.strata(), rows), k, train, test);
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
                best = new Choice(lambda, pooled, k, warm[0].clone());
                worse = 0;
            } else if (model.better(best.score(), pooled) && ++worse == 3) {
                break;
            }
        }
        return best;
    }

    /** At most {@code max} of n examples, spread evenly over the stratum order (so each class keeps its share). */
    static int[] subsample(int[] strata, int n, int max) {
        int[] all = new int[n];
        java.util.Arrays.setAll(all, i -> i);
        if (n <= max) {
            return all;
        }
        int[] order = stratified(strata, all);
        int[] out = new int[max];
        for (int i = 0; i < max; i++) {
            out[i] = order[(int) ((long) i * n / max)];
        }
        java.util.Arrays.sort(out);
        return out;
    }

    /** The rows ordered by stratum, then input order (unchanged without strata). */
    private static int[] stratified(int[] strata, int[] rows) {
        if (strata == null) {
            return rows;
        }
        return java.util.Arrays.stream(rows).boxed()
                .sorted((a, b) -> strata[a] != strata[b] ? Integer.compare(strata[a], strata[b]) : Integer.compare(a, b))
                .mapToInt(Integer::intValue).toArray();
    }

    /** Deals the ordered rows to k folds in turn. */
    private static void assign(int[] ordered, int k, int[][] train, int[][] test) {
        for (int f = 0; f < k; f++) {
            List<Integer> in = new ArrayList<>();
            List<Integer> out = new ArrayList<>();
            for (int r = 0; r < ordered.length; r++) {
                (r % k == f ? out : in).add(ordered[r]);
            }
            in.sort(null);
            out.sort(null);
            train[f] = in.stream().mapToInt(Integer::intValue).toArray();
            test[f] = out.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
