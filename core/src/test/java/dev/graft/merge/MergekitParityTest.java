package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Graft's methods against mergekit's definitions, on sizes where rounding decides (7, 32, 33 elements). Expected
 * values are either worked out by hand (the 7-element cases) or computed by {@link Mergekit}, a plain re-statement
 * of mergekit's definitions in double precision, written here independently of the production kernels.
 */
class MergekitParityTest {
    private static final double TOL = 1e-6;

    /** mergekit's definitions, straightforwardly (no thresholds, no masks as bits; sorting by magnitude). */
    static final class Mergekit {
        /** Indices of x by |x|, largest first (test data has distinct magnitudes, so the order is unambiguous). */
        static Integer[] byMagnitudeDescending(double[] x) {
            Integer[] idx = new Integer[x.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, Comparator.comparingDouble(i -> -Math.abs(x[i])));
            return idx;
        }

        /** sparsify.magnitude: keeps the int(density·n) largest magnitudes; density ≥ 1 keeps all. */
        static double[] magnitude(double[] x, double density) {
            if (density >= 1) {
                return x.clone();
            }
            return largest(x, (int) (density * x.length));
        }

        /** Keeps the k largest magnitudes. */
        static double[] largest(double[] x, int k) {
            double[] out = new double[x.length];
            Integer[] idx = byMagnitudeDescending(x);
            for (int r = 0; r < k; r++) {
                out[idx[r]] = x[idx[r]];
            }
            return out;
        }

        /**
         * sparsify.magnitude_outliers: drops the int(γ·n) largest, keeps the next int(density·n); when the two exceed
         * n the outlier count shrinks. (mergekit's slice selects nothing when the outlier count is 0; the test data
         * here always drops at least one, see {@link #breadcrumbsWithoutOutliersKeepsTheBand}.)
         */
        static double[] outliers(double[] x, double density, double gamma) {
            if (density >= 1) {
                return x.clone();
            }
            int n = x.length;
            int target = (int) (density * n);
            int top = (int) (gamma * n);
            int bottom = n - target - top;
            if (bottom < 0) {
                top += bottom;
            }
            double[] out = new double[n];
            Integer[] idx = byMagnitudeDescending(x);
            for (int r = top; r < top + target; r++) {
                out[idx[r]] = x[idx[r]];
            }
            return out;
        }

        enum Consensus { NONE, SUM, COUNT }

        /**
         * GTATask.execute after sparsification: weighted deltas, sign mask (a majority of 0 elects +), mixed sum,
         * divisor (0 → 1 with consensus, |·| &lt; 1e-8 → 1 without), optional normalisation, λ, add to the base.
         */
        static double[] combine(double[] base, List<double[]> deltas, double[] w, Consensus consensus, boolean normalize,
                                double lambda) {
            int n = base.length;
            double[] out = new double[n];
            for (int j = 0; j < n; j++) {
                double mixed = 0;
                double divisor = 0;
                if (consensus == Consensus.NONE) {
                    for (int i = 0; i < w.length; i++) {
                        mixed += w[i] * deltas.get(i)[j];
                        divisor += w[i];
                    }
                    divisor = Math.abs(divisor) < 1e-8 ? 1 : divisor;
                } else {
                    double vote = 0;
                    for (int i = 0; i < w.length; i++) {
                        double wd = w[i] * deltas.get(i)[j];
                        vote += consensus == Consensus.SUM ? wd : Math.signum(wd);
                    }
                    double majority = vote >= 0 ? 1 : -1;
                    for (int i = 0; i < w.length; i++) {
                        double wd = w[i] * deltas.get(i)[j];
                        if (Math.signum(wd) == majority) {
                            mixed += wd;
                            divisor += w[i];
                        }
                    }
                    divisor = divisor == 0 ? 1 : divisor;
                }
                if (normalize) {
                    mixed /= divisor;
                }
                out[j] = base[j] + lambda * mixed;
            }
            return out;
        }

        /** slerp: normalise each (when its norm exceeds 1e-8), lerp when |dot| &gt; 0.9995, else the sine weights. */
        static double[] slerp(double t, double[] a, double[] b) {
            double na = norm(a);
            double nb = norm(b);
            double dot = 0;
            for (int j = 0; j < a.length; j++) {
                dot += (na > 1e-8 ? a[j] / na : a[j]) * (nb > 1e-8 ? b[j] / nb : b[j]);
            }
            double[] out = new double[a.length];
            double s0;
            double s1;
            if (Math.abs(dot) > 0.9995) {
                s0 = 1 - t;
                s1 = t;
            } else {
                double theta = Math.acos(dot);
                s0 = Math.sin(theta - theta * t) / Math.sin(theta);
                s1 = Math.sin(theta * t) / Math.sin(theta);
            }
            for (int j = 0; j < a.length; j++) {
                out[j] = s0 * a[j] + s1 * b[j];
            }
            return out;
        }

        static double norm(double[] x) {
            double s = 0;
            for (double v : x) {
                s += v * v;
            }
            return Math.sqrt(s);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static float[] f(double... v) {
        float[] x = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            x[i] = (float) v[i];
        }
        return x;
    }

    private static double[] d(float[] v) {
        double[] x = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            x[i] = v[i];
        }
        return x;
    }

    private static double[] minus(float[] a, float[] b) {
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = (double) a[i] - b[i];
        }
        return x;
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    /** Per-model parameters: weights and optional densities. */
    private static List<Map<String, Double>> params(double[] w, double[] density) {
        List<Map<String, Double>> mp = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            Map<String, Double> m = new HashMap<>();
            m.put("weight", w[i]);
            if (density != null) {
                m.put("density", density[i]);
            }
            mp.add(m);
        }
        return mp;
    }

    private static float[] merge(String method, float[] base, List<float[]> models, List<Map<String, Double>> mp,
                                 Map<String, Double> global) {
        return MergeMethods.byName(method).merge(new MergeInput("encoder.layer.0.w", 0, base, models, mp, global, 7, null));
    }

    private static void assertClose(double[] want, float[] got, String what) {
        assertClose(want, got, TOL, what);
    }

    /** Within tol plus float32 rounding of the value. */
    private static void assertClose(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int j = 0; j < want.length; j++) {
            assertEquals(want[j], got[j], tol + 1e-6 * Math.abs(want[j]), what + " element " + j);
        }
    }

    // the 7-element hand example: base 1, two task vectors with distinct magnitudes
    private static final float[] BASE7 = f(1, 1, 1, 1, 1, 1, 1);
    private static final double[] TAU1 = {0.7, -0.1, 0.4, -0.6, 0.2, 0.05, -0.3};
    private static final double[] TAU2 = {-0.2, 0.5, 0.3, -0.15, -0.8, 0.25, 0.1};

    private static List<float[]> models7() {
        float[] m1 = new float[7];
        float[] m2 = new float[7];
        for (int j = 0; j < 7; j++) {
            m1[j] = (float) (1 + TAU1[j]);
            m2[j] = (float) (1 + TAU2[j]);
        }
        return List.of(m1, m2);
    }

    // ---- tests ---------------------------------------------------------------------------------------------------

    @Test
    void keepCountTruncatesLikeMergekit() {
        assertEquals(9, TaskVectors.keepCount(0.3, 32), "int(0.3 × 32) = int(9.6)");
        assertEquals(9, TaskVectors.keepCount(0.3, 33), "int(9.9)");
        assertEquals(3, TaskVectors.keepCount(0.5, 7), "int(3.5)");
        assertEquals(16, TaskVectors.keepCount(0.5, 33), "int(16.5)");
        assertEquals(0, TaskVectors.keepCount(0.1, 7), "int(0.7)");
        assertEquals(7, TaskVectors.keepCount(1.0, 7));
    }

    @Test
    void tiesOnSevenElementsByHand() {
        // density 0.5 keeps int(3.5) = 3 per model: τ̂₁ = {.7, 0, .4, -.6, 0, 0, 0}, τ̂₂ = {0, .5, .3, 0, -.8, 0, 0}.
        // Weighted (w = 1, 0.5): {.7, 0, .4, -.6, 0, 0, 0} and {0, .25, .15, 0, -.4, 0, 0}; elected signs + + + - - + +
        // (the last two tie at 0: +). Disjoint weighted means: .7, .25/.5, .55/1.5, -.6, -.4/.5, 0, 0.
        float[] got = merge("ties", BASE7, models7(), params(new double[] {1, 0.5}, new double[] {0.5, 0.5}), Map.of());
        double[] want = {1.7, 1.5, 1 + 0.55 / 1.5, 0.4, 0.2, 1, 1};
        assertClose(want, got, "ties n=7");
        // rounding 3.5 up would also keep τ₁[6] = -0.3 and τ₂[5] = 0.25, giving 0.7 and 1.25 there
        assertEquals(1.0, got[5], TOL);
        assertEquals(1.0, got[6], TOL);
    }

    @Test
    void tiesSignTieElectsPlus() {
        // masses of exactly 0: mergekit elects +, so the positive value survives (divided by its own weight)
        float[] base = f(0, 0, 0);
        List<float[]> ms = List.of(f(0.5, 1, 0), f(-0.5, -1, 0));
        float[] got = merge("ties", base, ms, params(new double[] {1, 1}, null), Map.of());
        assertArrayEquals(f(0.5, 1, 0), got, 0f);
        // the count vote ties too; a negative weight makes a negative value vote +
        got = merge("ties", base, List.of(f(-0.5, 1, 0)), params(new double[] {-1}, null), Map.of("normalize", 0.0));
        assertArrayEquals(f(0.5, -1, 0), got, 0f, "signs are those of the weighted values w·τ = {+0.5, -1, 0}");
    }

    @Test
    void tiesThreeModelsMergekitConfigOn32And33() {
        // the mergekit-shaped config: densities 0.5/0.5/0.3, weights 1.0/0.7/1.0, normalize: true
        double[] w = {1.0, 0.7, 1.0};
        double[] density = {0.5, 0.5, 0.3};
        for (int n : new int[] {32, 33}) {
            Random r = new Random(n);
            float[] base = gaussian(r, n, 1);
            List<float[]> ms = new ArrayList<>();
            List<double[]> sparse = new ArrayList<>();
            List<double[]> rounded = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                float[] m = base.clone();
                float[] tau = gaussian(r, n, 0.1);
                for (int j = 0; j < n; j++) {
                    m[j] += tau[j];
                }
                ms.add(m);
                double[] delta = minus(m, base);
                sparse.add(Mergekit.magnitude(delta, density[i]));
                rounded.add(Mergekit.largest(delta, (int) Math.round(density[i] * n))); // the old rounding
            }
            double[] want = Mergekit.combine(d(base), sparse, w, Mergekit.Consensus.SUM, true, 1.0);
            float[] got = merge("ties", base, ms, params(w, density), Map.of("normalize", 1.0));
            assertClose(want, got, "ties n=" + n);
            double worst = 0;
            double[] old = Mergekit.combine(d(base), rounded, w, Mergekit.Consensus.SUM, true, 1.0);
            for (int j = 0; j < n; j++) {
                worst = Math.max(worst, Math.abs(old[j] - want[j]));
            }
            assertTrue(worst > 1e-3, "the data is sensitive to the kept count (rounding would move an element by " + worst + ")");
            // the count vote and λ
            want = Mergekit.combine(d(base), sparse, w, Mergekit.Consensus.COUNT, true, 0.6);
            got = merge("ties", base, ms, params(w, density), Map.of("majority_sign_frequency", 1.0, "lambda", 0.6));
            assertClose(want, got, "ties count vote n=" + n);
        }
    }

    @Test
    void taskArithmeticDoesNotNormalizeByDefault() {
        double[] w = {0.6, 0.3};
        float[] got = merge("task_arithmetic", BASE7, models7(), params(w, null), Map.of("lambda", 0.5));
        double[] want = new double[7];
        for (int j = 0; j < 7; j++) {
            want[j] = 1 + 0.5 * (0.6 * TAU1[j] + 0.3 * TAU2[j]);
        }
        assertClose(want, got, "task_arithmetic");
        got = merge("task_arithmetic", BASE7, models7(), params(w, null), Map.of("normalize", 1.0));
        for (int j = 0; j < 7; j++) {
            want[j] = 1 + (0.6 * TAU1[j] + 0.3 * TAU2[j]) / 0.9;
        }
        assertClose(want, got, "task_arithmetic normalized");
        // weights summing to 0: mergekit divides by 1 instead
        got = merge("task_arithmetic", BASE7, models7(), params(new double[] {1, -1}, null), Map.of("normalize", 1.0));
        for (int j = 0; j < 7; j++) {
            want[j] = 1 + TAU1[j] - TAU2[j];
        }
        assertClose(want, got, "task_arithmetic with Σw = 0");
    }

    @Test
    void magnitudePruneOn33() {
        Random r = new Random(5);
        float[] base = gaussian(r, 33, 1);
        List<float[]> ms = List.of(gaussian(r, 33, 1), gaussian(r, 33, 1));
        double[] w = {1, 0.5};
        double[] density = {0.3, 0.7}; // int(9.9) = 9, int(23.1) = 23
        List<double[]> sparse = List.of(Mergekit.magnitude(minus(ms.get(0), base), 0.3), Mergekit.magnitude(minus(ms.get(1), base), 0.7));
        assertClose(Mergekit.combine(d(base), sparse, w, Mergekit.Consensus.NONE, false, 1.0),
                merge("magnitude_prune", base, ms, params(w, density), Map.of()), "magnitude_prune");
    }

    @Test
    void breadcrumbsOnSevenElementsByHand() {
        // density 0.5 keeps int(3.5) = 3, gamma 0.15 drops int(1.05) = 1 outlier: by magnitude τ₁ is
        // .7 .6 .4 .3 .2 .1 .05 → keeps -.6, .4, -.3 (ranks 1..3); τ₂ is .8 .5 .3 .25 .2 .15 .1 → keeps .5, .3, .25
        List<Map<String, Double>> mp = params(new double[] {1, 1}, new double[] {0.5, 0.5});
        mp.forEach(m -> m.put("gamma", 0.15));
        float[] got = merge("breadcrumbs", BASE7, models7(), mp, Map.of());
        double[] want = {1, 1.5, 1.7, 0.4, 1, 1.25, 0.7};
        assertClose(want, got, "breadcrumbs n=7");
        // when the outliers and the kept count exceed n, the outlier cut shrinks: density 0.9 keeps int(6.3) = 6 and
        // gamma 0.3 would drop int(2.1) = 2, so only the largest is dropped
        mp.forEach(m -> {
            m.put("density", 0.9);
            m.put("gamma", 0.3);
        });
        got = merge("breadcrumbs", BASE7, models7(), mp, Map.of());
        for (int j = 0; j < 7; j++) {
            want[j] = 1 + (j == 0 ? 0 : TAU1[j]) + (j == 4 ? 0 : TAU2[j]);
        }
        assertClose(want, got, "breadcrumbs with a shrunk outlier cut");
    }

    @Test
    void breadcrumbsOn32And33AgainstTheDefinition() {
        for (int n : new int[] {32, 33}) {
            Random r = new Random(100 + n);
            float[] base = gaussian(r, n, 1);
            List<float[]> ms = List.of(gaussian(r, n, 1), gaussian(r, n, 1), gaussian(r, n, 1));
            double[] w = {1, 0.7, 1};
            double[] density = {0.5, 0.5, 0.3};
            List<Map<String, Double>> mp = params(w, density);
            mp.forEach(m -> m.put("gamma", 0.05)); // int(1.6) = 1 outlier
            List<double[]> sparse = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sparse.add(Mergekit.outliers(minus(ms.get(i), base), density[i], 0.05));
            }
            assertClose(Mergekit.combine(d(base), sparse, w, Mergekit.Consensus.NONE, false, 1.0),
                    merge("breadcrumbs", base, ms, mp, Map.of()), "breadcrumbs n=" + n);
            // breadcrumbs_ties: sign consensus, and normalize defaults to false as in mergekit
            assertClose(Mergekit.combine(d(base), sparse, w, Mergekit.Consensus.SUM, false, 1.0),
                    merge("breadcrumbs_ties", base, ms, mp, Map.of()), "breadcrumbs_ties n=" + n);
        }
    }

    @Test
    void breadcrumbsWithoutOutliersKeepsTheBand() {
        // gamma 0.01 on 7 elements drops int(0.07) = 0 outliers: Graft keeps the top int(3.5) = 3 (mergekit's slice
        // [n_bot:-0] selects nothing here; documented as a difference)
        List<Map<String, Double>> mp = params(new double[] {1, 1}, new double[] {0.5, 0.5});
        float[] got = merge("breadcrumbs", BASE7, models7(), mp, Map.of());
        double[] want = {1.7, 1.5, 1.7, 0.4, 0.2, 1, 1};
        assertClose(want, got, "breadcrumbs gamma 0.01 n=7");
    }

    @Test
    void dareDropsAndRescalesByOneOverDensity() {
        int n = 33;
        Random r = new Random(9);
        float[] base = gaussian(r, n, 1);
        List<float[]> ms = List.of(gaussian(r, n, 1), gaussian(r, n, 1), gaussian(r, n, 1));
        double[] density = {0.5, 0.5, 0.3};
        double[] w = {1.0, 0.7, 1.0};
        // each model's mask, read back with one-hot weights (the masks depend on seed, tensor and model, not weights)
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            double[] onehot = new double[3];
            onehot[i] = 1;
            double[] tau = minus(ms.get(i), base);
            double[] scaled = minus(merge("dare_linear", base, ms, params(onehot, density), Map.of()), base);
            double[] plain = minus(merge("dare_linear", base, ms, params(onehot, density), Map.of("rescale", 0.0)), base);
            double[] mask = new double[n];
            for (int j = 0; j < n; j++) {
                if (plain[j] != 0) {
                    mask[j] = 1;
                    assertEquals(tau[j], plain[j], 1e-5, "rescale: false keeps the value as it is");
                    assertEquals(tau[j] / density[i], scaled[j], 1e-5, "rescale: true multiplies by 1/density");
                } else {
                    assertEquals(0, scaled[j], 1e-6, "the same elements are dropped with and without rescaling");
                }
                mask[j] *= tau[j] / density[i];
            }
            kept.add(mask);
        }
        // with those masks, dare_ties is mergekit's sign consensus without normalisation (its default)
        assertClose(Mergekit.combine(d(base), kept, w, Mergekit.Consensus.SUM, false, 1.0),
                merge("dare_ties", base, ms, params(w, density), Map.of()), 1e-5, "dare_ties"); // τ·(1/d) rounded to float
        assertClose(Mergekit.combine(d(base), kept, w, Mergekit.Consensus.NONE, false, 0.8),
                merge("dare_linear", base, ms, params(w, density), Map.of("lambda", 0.8)), 1e-5, "dare_linear");
        // statistically, with a fixed seed: the kept fraction is the density
        int big = 200_000;
        float[] zero = new float[big];
        float[] ones = new float[big];
        Arrays.fill(ones, 1f);
        float[] out = MergeMethods.byName("dare_linear").merge(new MergeInput("x", -1, zero, List.of(ones),
                params(new double[] {1}, new double[] {0.3}), Map.of(), 42, null));
        int count = 0;
        for (float v : out) {
            count += v != 0 ? 1 : 0;
        }
        assertEquals(0.3, count / (double) big, 0.005, "kept fraction");
    }

    @Test
    void linearNormalizesByDefault() {
        float[] a = f(1, 2, 3, 4, 5, 6, 7);
        float[] b = f(-1, 0.5, 2, 0, 1, -3, 0.25);
        double[] w = {0.25, 1};
        float[] got = merge("linear", null, List.of(a, b), params(w, null), Map.of());
        double[] want = new double[7];
        for (int j = 0; j < 7; j++) {
            want[j] = (0.25 * a[j] + b[j]) / 1.25;
        }
        assertClose(want, got, "linear");
        got = merge("linear", null, List.of(a, b), params(w, null), Map.of("normalize", 0.0));
        for (int j = 0; j < 7; j++) {
            want[j] = 0.25 * a[j] + b[j];
        }
        assertClose(want, got, "linear normalize: false");
    }

    @Test
    void slerpEdgeCases() {
        Random r = new Random(11);
        for (int n : new int[] {7, 32, 33}) {
            float[] a = gaussian(r, n, 1);
            float[] b = gaussian(r, n, 1);
            for (double t : new double[] {0, 0.3, 0.5, 1}) {
                assertClose(Mergekit.slerp(t, d(a), d(b)), merge("slerp", a, List.of(b), List.of(Map.of()), Map.of("t", t)),
                        "slerp n=" + n + " t=" + t);
            }
        }
        // nearly colinear (cos > 0.9995) and opposite: linear interpolation
        float[] a = f(1, 2, 3, 4, 5, 6, 7);
        float[] near = f(1.01, 2, 3, 4, 5, 6, 7);
        float[] opposite = f(-2, -4, -6, -8, -10, -12, -14);
        assertClose(new double[] {1.004, 2, 3, 4, 5, 6, 7}, SlerpMerge.slerp(0.4, a, near), "colinear");
        double[] lin = new double[7];
        for (int j = 0; j < 7; j++) {
            lin[j] = 0.5 * a[j] + 0.5 * opposite[j];
        }
        assertClose(lin, SlerpMerge.slerp(0.5, a, opposite), "opposite");
        // a zero vector is not normalised: cos Ω = 0, so it is interpolated as orthogonal, θ = sin(tπ/2)·b
        float[] zero = new float[7];
        double[] want = new double[7];
        for (int j = 0; j < 7; j++) {
            want[j] = Math.sin(0.3 * Math.PI / 2) * a[j];
        }
        assertClose(want, SlerpMerge.slerp(0.3, zero, a), "zero base");
    }
}
