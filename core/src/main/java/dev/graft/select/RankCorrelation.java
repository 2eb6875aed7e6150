package dev.graft.select;

import dev.graft.GraftException;
import java.util.Arrays;
import java.util.Comparator;

/**
 * How well an estimator's scores order the models compared with the accuracy they reach after fine-tuning.
 */
public final class RankCorrelation {
    private RankCorrelation() {}

    /**
     * Kendall's τ-b (ties corrected): (concordant − discordant) / √((n₀ − t_a)(n₀ − t_b)) over all pairs.
     * Kendall, "A New Measure of Rank Correlation", Biometrika 1938. NaN-free: 0 when either side is all ties.
     *
     * @param a [m] scores
     * @param b [m] reference values (e.g. fine-tuned accuracy)
     */
    public static double kendallTau(double[] a, double[] b) {
        check(a, b);
        long conc = 0;
        long disc = 0;
        long tieA = 0;
        long tieB = 0;
        long pairs = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                int sa = Double.compare(a[i], a[j]);
                int sb = Double.compare(b[i], b[j]);
                pairs++;
                if (sa == 0) {
                    tieA++;
                }
                if (sb == 0) {
                    tieB++;
                }
                if (sa != 0 && sb != 0) {
                    if (sa == sb) {
                        conc++;
                    } else {
                        disc++;
                    }
                }
            }
        }
        double den = Math.sqrt((double) (pairs - tieA) * (pairs - tieB));
        return den == 0 ? 0 : (conc - disc) / den;
    }

    /**
     * Weighted τ with the additive hyperbolic weigher (Vigna, "A Weighted Correlation Index for Rankings with Ties",
     * WWW 2015): each pair (i, j) weighs w(rᵢ) + w(rⱼ) with w(r) = 1/(r + 1) and r the rank by decreasing importance,
     * so disagreements among the top models count most. As in SciPy's {@code weightedtau} default, the result averages
     * the index computed with importance ranked by a (ties broken by b) and by b (ties broken by a).
     */
    public static double weightedTau(double[] a, double[] b) {
        check(a, b);
        return (weighted(a, b, importance(a, b)) + weighted(a, b, importance(b, a))) / 2;
    }

    private static int[] importance(double[] primary, double[] secondary) {
        Integer[] order = new Integer[primary.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -primary[i]).thenComparingDouble(i -> -secondary[i]));
        int[] rank = new int[primary.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r;
        }
        return rank;
    }

    private static double weighted(double[] a, double[] b, int[] rank) {
        double num = 0;
        double da = 0;
        double db = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                double w = 1.0 / (rank[i] + 1) + 1.0 / (rank[j] + 1);
                double sa = Math.signum(a[i] - a[j]);
                double sb = Math.signum(b[i] - b[j]);
                num += w * sa * sb;
                da += w * sa * sa;
                db += w * sb * sb;
            }
        }
        return da == 0 || db == 0 ? 0 : num / Math.sqrt(da * db);
    }

    /** True when the top-scored model is (one of) the best by the reference values. */
    public static boolean top1Hit(double[] scores, double[] truth) {
        check(scores, truth);
        int top = 0;
        double best = truth[0];
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[top]) {
                top = i;
            }
            best = Math.max(best, truth[i]);
        }
        return truth[top] == best;
    }

    private static void check(double[] a, double[] b) {
        if (a == null || b == null || a.length != b.length || a.length < 2) {
            throw new GraftException("rank correlation: expected two arrays of the same length >= 2, got "
                    + (a == null ? "null" : a.length) + " and " + (b == null ? "null" : b.length));
        }
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i]) || !Double.isFinite(b[i])) {
                throw new GraftException("rank correlation: value " + i + " is not finite (" + a[i] + ", " + b[i] + ")");
            }
        }
    }
}
