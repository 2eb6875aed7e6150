package dev.graft.select;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy team (ensemble) selection: pick k candidate models whose concatenated features score best under an estimator,
 * adding at each step the candidate that maximises the score of the team so far, and report the gain over the best
 * single model.
 *
 * <p>In the spirit of Agostinelli, Uijlings, Mensink, Ferrari, "Transferability Metrics for Selecting Source Model
 * Ensembles", CVPR 2022, and K B et al., "Building a Winning Team: Selecting Source Model Ensembles using a
 * Submodular Transferability Estimation Approach" (OSBORN), ICCV 2023: greedy
 * selection, as suits a (near-)submodular set score. Here the set score is the estimator on concatenated features
 * rather than OSBORN's optimal-transport terms. Cost: O(k · m) estimator calls for m candidates.
 */
public final class TeamSelection {
    private TeamSelection() {}

    /**
     * @param chosen         candidate indices in the order picked
     * @param scoreAfterEach the team's score after each pick (the first is the best single model's score)
     * @param bestSingle     the best score of any single candidate
     * @param gain           score of the final team minus bestSingle (negative if adding models hurt)
     */
    public record Result(List<Integer> chosen, List<Double> scoreAfterEach, double bestSingle, double gain) {}

    /**
     * @param candidateFeatures m feature matrices, each [n, d_i] over the same n examples in the same order
     * @param labels            [n] labels in [0, numClasses)
     * @param numClasses        number of classes
     * @param e                 the estimator that scores a team's concatenated features
     * @param k                 team size, 1 ≤ k ≤ m
     */
    public static Result greedy(List<double[][]> candidateFeatures, int[] labels, int numClasses, Estimator e, int k) {
        if (candidateFeatures == null || candidateFeatures.isEmpty()) {
            throw new GraftException("team selection: expected at least one candidate model's features");
        }
        int m = candidateFeatures.size();
        if (k < 1 || k > m) {
            throw new GraftException("team size is " + k + "; expected between 1 and the number of candidates (" + m + ")");
        }
        int n = candidateFeatures.get(0).length;
        for (int i = 0; i < m; i++) {
            double[][] f = candidateFeatures.get(i);
            if (f == null || f.length != n) {
                throw new GraftException("candidate " + i + " has " + (f == null ? 0 : f.length)
                        + " feature rows; expected " + n + " like candidate 0 (same examples, same order)");
            }
        }
        List<Integer> chosen = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        double bestSingle = Double.NEGATIVE_INFINITY;
        for (int step = 0; step < k; step++) {
            int pick = -1;
            double best = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < m; i++) {
                if (chosen.contains(i)) {
                    continue;
                }
                List<Integer> team = new ArrayList<>(chosen);
                team.add(i);
                double s = e.score(concat(candidateFeatures, team), labels, numClasses);
                if (step == 0) {
                    bestSingle = Math.max(bestSingle, s);
                }
                if (s > best) {
                    best = s;
                    pick = i;
                }
            }
            chosen.add(pick);
            scores.add(best);
        }
        return new Result(List.copyOf(chosen), List.copyOf(scores), bestSingle, scores.get(scores.size() - 1) - bestSingle);
    }

    /** Row-wise concatenation of the chosen candidates' features, [n, Σ d_i]. */
    static double[][] concat(List<double[][]> candidates, List<Integer> team) {
        int n = candidates.get(0).length;
        int width = 0;
        for (int i : team) {
            width += Inputs.checkFeatures(candidates.get(i));
        }
        double[][] out = new double[n][width];
        int off = 0;
        for (int i : team) {
            double[][] f = candidates.get(i);
            int d = f[0].length;
            for (int r = 0; r < n; r++) {
                System.arraycopy(f[r], 0, out[r], off, d);
            }
            off += d;
        }
        return out;
    }
}
