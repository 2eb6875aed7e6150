package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every method against a naive reference written from the papers' definitions, on small random tensors. */
class MergeMethodsTest {
    private static final int N = 257;

    static float[] rand(Random r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * std);
        }
        return a;
    }

    static MergeInput input(float[] base, List<float[]> models, List<Map<String, Double>> mp, Map<String, Double> p) {
        return new MergeInput("encoder.layer.0.w", 0, base, models, mp, p, 42, null);
    }

    static List<Map<String, Double>> params(int k, String key, double... values) {
        List<Map<String, Double>> l = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Map<String, Double> m = new HashMap<>();
            if (key != null) {
                m.put(key, values[i]);
            }
            l.add(m);
        }
        return l;
    }

    /** Naive top-k: sort magnitudes descending, threshold at the k-th, k = int(density·n) as in mergekit. */
    static float[] naiveTopK(float[] x, double density) {
        return naiveTopCount(x, (int) (density * x.length));
    }

    /** Naive top-k for a count k. */
    static float[] naiveTopCount(float[] x, int k) {
        Float[] mags = new Float[x.length];
        for (int i = 0; i < x.length; i++) {
            mags[i] = Math.abs(x[i]);
        }
        Arrays.sort(mags, (a, b) -> Float.compare(b, a));
        float thr = k == 0 ? Float.POSITIVE_INFINITY : mags[k - 1];
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.abs(x[i]) >= thr ? x[i] : 0;
        }
        return out;
    }

    @Test
    void linearIsWeightedMean() {
        Random r = new Random(1);
        List<float[]> ms = List.of(rand(r, N, 1), rand(r, N, 1), rand(r, N, 1));
        double[] w = {0.2, 0.5, 1.3};
        float[] got = new LinearMerge().merge(input(null, ms, params(3, "weight", w), Map.of()));
        for (int j = 0; j < N; j++) {
            double num = 0;
            for (int i = 0; i < 3; i++) {
                num += w[i] * ms.get(i)[j];
            }
            assertEquals(num / 2.0, got[j], 1e-5);
        }
    }

    @Test
    void taskArithmeticAndLambdaZero() {
        Random r = new Random(2);
        float[] base = rand(r, N, 1);
        List<float[]> ms = List.of(rand(r, N, 1), rand(r, N, 1));
        MergeMethod ta = MergeMethods.byName("task_arithmetic");
        float[] got = ta.merge(input(base, ms, params(2, "weight", 0.7, 0.4), Map.of("lambda", 0.5)));
        for (int j = 0; j < N; j++) {
            double t = 0.7 * (ms.get(0)[j] - base[j]) + 0.4 * (ms.get(1)[j] - base[j]);
            assertEquals(base[j] + 0.5 * t, got[j], 1e-5);
        }
        for (String name : List.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "magnitude_prune", "breadcrumbs", "pcb")) {
            float[] zero = MergeMethods.byName(name).merge(input(base, ms, params(2, "density", 0.5, 0.5), Map.of("lambda", 0.0)));
            assertArrayEquals(base, zero, 0f, name + " with lambda 0 must give the base");
        }
    }

    @Test
    void tiesMatchesNaiveDefinition() {
        Random r = new Random(3);
        float[] base = rand(r, N, 1);
        List<float[]> ms = List.of(rand(r, N, 1), rand(r, N, 1), rand(r, N, 1));
        double[] w = {1, 0.5, 2};
        double density = 0.3;
        List<Map<String, Double>> mp = params(3, "weight", w);
        mp.forEach(m -> m.put("density", density));
        float[] got = MergeMethods.byName("ties").merge(input(base, ms, mp, Map.of("lambda", 0.8)));
        float[][] tv = new float[3][];
        for (int i = 0; i < 3; i++) {
            float[] d = new float[N];
            for (int j = 0; j < N; j++) {
                d[j] = ms.get(i)[j] - base[j];
            }
            tv[i] = naiveTopK(d, density);
        }
        for (int j = 0; j < N; j++) {
            double mass = 0;
            for (int i = 0; i < 3; i++) {
                mass += w[i] * tv[i][j];
            }
            double num = 0;
            double den = 0;
            for (int i = 0; i < 3; i++) {
                if (tv[i][j] != 0 && Math.signum(tv[i][j]) == Math.signum(mass)) {
                    num += w[i] * tv[i][j];
                    den += w[i];
                }
            }
            assertEquals(base[j] + 0.8 * (den == 0 ? 0 : num / den), got[j], 1e-5, "element " + j);
        }
    }

    @Test
    void magnitudePruneAndBreadcrumbs() {
        Random r = new Random(4);
        float[] base = rand(r, N, 1);
        List<float[]> ms = List.of(rand(r, N, 1), rand(r, N, 1));
        List<Map<String, Double>> mp = params(2, "density", 0.4, 0.4);
        float[] got = MergeMethods.byName("magnitude_prune").merge(input(base, ms, mp, Map.of()));
        float[] t0 = naiveTopK(TaskVectors.delta(ms.get(0), base), 0.4);
        float[] t1 = naiveTopK(TaskVectors.delta(ms.get(1), base), 0.4);
        for (int j = 0; j < N; j++) {
            assertEquals(base[j] + t0[j] + t1[j], got[j], 1e-5);
        }
        // breadcrumbs: drop the top int(10%) and keep the next int(40%) by magnitude
        mp.forEach(m -> m.put("gamma", 0.1));
        float[] bc = MergeMethods.byName("breadcrumbs").merge(input(base, ms, mp, Map.of()));
        float[] d0 = TaskVectors.delta(ms.get(0), base);
        float[] d1 = TaskVectors.delta(ms.get(1), base);
        int top = (int) (0.1 * N);
        int upto = top + (int) (0.4 * N);
        float[] top10a = naiveTopCount(d0, top);
        float[] top50a = naiveTopCount(d0, upto);
        float[] top10b = naiveTopCount(d1, top);
        float[] top50b = naiveTopCount(d1, upto);
        for (int j = 0; j < N; j++) {
            double a = top10a[j] == 0 ? top50a[j] : 0;
            double b = top10b[j] == 0 ? top50b[j] : 0;
            assertEquals(base[j] + a + b, bc[j], 1e-5);
        }
    }

    @Test
    void dareIsReproducibleAndUnbiased() {
        Random r = new Random(5);
        float[] base = new float[20000];
        List<float[]> ms = List.of(rand(r, 20000, 1));
        List<Map<String, Double>> mp = params(1, "density", 0.3);
        MergeMethod dare = MergeMethods.byName("dare_linear");
        float[] a = dare.merge(new MergeInput("x", -1, base, ms, mp, Map.of(), 7, null));
        float[] b = dare.merge(new MergeInput("x", -1, base, ms, mp, Map.of(), 7, null));
        float[] c = dare.merge(new MergeInput("x", -1, base, ms, mp, Map.of(), 8, null));
        assertArrayEquals(a, b, 0f, "same seed, same result");
        assertFalse(Arrays.equals(a, c), "another seed drops other elements");
        int kept = 0;
        for (int j = 0; j < a.length; j++) {
            if (a[j] != 0) {
                kept++;
                assertEquals(ms.get(0)[j] / 0.3, a[j], 1e-4, "survivors are rescaled by 1/(1-p)");
            }
        }
        assertEquals(0.3, kept / 20000.0, 0.02);
    }

    @Test
    void slerpMatchesFormulaAndFallsBack() {
        Random r = new Random(6);
        float[] a = rand(r, N, 1);
        float[] b = rand(r, N, 2);
        double t = 0.3;
        float[] got = new SlerpMerge().merge(input(null, List.of(a, b), params(2, null), Map.of("t", t)));
        double na = 0, nb = 0, dot = 0;
        for (int j = 0; j < N; j++) {
            na += a[j] * a[j];
            nb += b[j] * b[j];
            dot += a[j] * b[j];
        }
        double om = Math.acos(dot / Math.sqrt(na * nb));
        for (int j = 0; j < N; j++) {
            double e = Math.sin((1 - t) * om) / Math.sin(om) * a[j] + Math.sin(t * om) / Math.sin(om) * b[j];
            assertEquals(e, got[j], 1e-4);
        }
        float[] twice = a.clone();
        for (int j = 0; j < N; j++) {
            twice[j] *= 2;
        }
        float[] lin = SlerpMerge.slerp(0.5, a, twice);
        for (int j = 0; j < N; j++) {
            assertEquals(1.5 * a[j], lin[j], 1e-5, "parallel vectors interpolate linearly");
        }
        assertThrows(GraftException.class, () -> new SlerpMerge().merge(input(null, List.of(a), params(1, null), Map.of())));
    }

    @Test
    void fisherWeightsByInformation() {
        Random r = new Random(7);
        List<float[]> ms = List.of(rand(r, N, 1), rand(r, N, 1));
        List<float[]> fs = List.of(rand(r, N, 1), rand(r, N, 1));
        fs.forEach(f -> {
            for (int j = 0; j < f.length; j++) {
                f[j] = f[j] * f[j];
            }
        });
        MergeInput in = new MergeInput("x", -1, null, ms, params(2, "weight", 1, 3), Map.of("epsilon", 1e-6), 0, fs);
        float[] got = new FisherMerge().merge(in);
        for (int j = 0; j < N; j++) {
            double f0 = fs.get(0)[j] + 1e-6;
            double f1 = 3 * (fs.get(1)[j] + 1e-6);
            assertEquals((f0 * ms.get(0)[j] + f1 * ms.get(1)[j]) / (f0 + f1), got[j], 1e-4);
        }
    }

    @Test
    void pcbMatchesNaiveDefinition() {
        Random r = new Random(8);
        int n = 64;
        float[] base = rand(r, n, 1);
        List<float[]> ms = List.of(rand(r, n, 1), rand(r, n, 1), rand(r, n, 1));
        float[] got = new PcbMerge().merge(input(base, ms, params(3, null), Map.of("density", 0.25, "lambda", 0.9)));
        int k = 3;
        double[][] tv = new double[k][n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                tv[i][j] = ms.get(i)[j] - base[j];
            }
        }
        double[][] beta = new double[k][];
        for (int i = 0; i < k; i++) {
            double[] self = new double[n];
            for (int j = 0; j < n; j++) {
                self[j] = tv[i][j] * tv[i][j];
            }
            double[] intra = softmax(norm(self), k);
            double[] inter = new double[n];
            for (int o = 0; o < k; o++) {
                double[] cross = new double[n];
                for (int j = 0; j < n; j++) {
                    cross[j] = tv[i][j] * tv[o][j];
                }
                double[] s = softmax(norm(cross), 1);
                for (int j = 0; j < n; j++) {
                    inter[j] += s[j];
                }
            }
            beta[i] = new double[n];
            for (int j = 0; j < n; j++) {
                beta[i][j] = intra[j] * inter[j];
            }
            double[] sorted = beta[i].clone();
            Arrays.sort(sorted);
            double thr = sorted[n - 16]; // top 25% of 64
            for (int j = 0; j < n; j++) {
                if (beta[i][j] < thr) {
                    beta[i][j] = 0;
                }
            }
        }
        for (int j = 0; j < n; j++) {
            double num = 0, den = 0;
            for (int i = 0; i < k; i++) {
                num += beta[i][j] * tv[i][j];
                den += beta[i][j];
            }
            assertEquals(base[j] + 0.9 * (den == 0 ? 0 : num / den), got[j], 1e-4, "element " + j);
        }
    }

    static double[] norm(double[] x) {
        double min = Arrays.stream(x).min().orElse(0), max = Arrays.stream(x).max().orElse(0);
        return Arrays.stream(x).map(v -> max > min ? (v - min) / (max - min) : 0).toArray();
    }

    static double[] softmax(double[] x, double s) {
        double sum = Arrays.stream(x).map(v -> Math.exp(s * v)).sum();
        return Arrays.stream(x).map(v -> Math.exp(s * v) / sum).toArray();
    }

    @Test
    void layerSwapTakesRanges() {
        float[] base = {0, 0};
        float[] a = {1, 1};
        float[] b = {2, 2};
        List<Map<String, Double>> mp = List.of(Map.of("layer_start", 0.0, "layer_end", 2.0), Map.of("layer_start", 4.0, "layer_end", 6.0));
        LayerSwapMerge ls = new LayerSwapMerge();
        for (int layer = -1; layer < 7; layer++) {
            float[] got = ls.merge(new MergeInput("t", layer, base, List.of(a, b), mp, Map.of(), 0, null));
            float[] want = layer >= 0 && layer < 2 ? a : layer >= 4 && layer < 6 ? b : base;
            assertArrayEquals(want, got, 0f, "layer " + layer);
        }
    }

    @Test
    void mergingAModelWithItselfGivesItself() {
        Random r = new Random(9);
        float[] base = rand(r, N, 1);
        float[] m = rand(r, N, 1);
        List<float[]> twice = List.of(m, m);
        // averaging methods and TIES at density 1 (every element agrees with itself); task arithmetic with λ = 1/2
        Map<String, Map<String, Double>> cases = Map.of("linear", Map.of(), "ties", Map.of(), "slerp", Map.of("t", 0.4),
                "task_arithmetic", Map.of("lambda", 0.5), "breadcrumbs_ties", Map.of("gamma", 0.0, "normalize", 1.0), "pcb", Map.of("density", 1.0));
        for (var e : cases.entrySet()) {
            MergeMethod method = MergeMethods.byName(e.getKey());
            float[] got = method.merge(input(method.needsBase() ? base : null, twice, params(2, null), e.getValue()));
            assertArrayEquals(m, got, 1e-5f, e.getKey());
        }
        List<float[]> fs = List.of(rand(r, N, 1), rand(r, N, 1));
        assertArrayEquals(m, new FisherMerge().merge(new MergeInput("x", -1, null, twice, params(2, null), Map.of(), 0, fs)), 1e-5f);
    }

    @Test
    void selectFindsOrderStatistics() {
        Random r = new Random(10);
        for (int trial = 0; trial < 50; trial++) {
            float[] a = new float[1 + r.nextInt(300)];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(20); // many duplicates
            }
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            int idx = r.nextInt(a.length);
            assertEquals(sorted[idx], TaskVectors.select(a.clone(), idx));
        }
    }
}
