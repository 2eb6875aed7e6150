package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The branch-free kernel gives bit-identical results to the plain conditional kernel ({@link ReferenceTaskKernel})
 * for every task-vector method and parameter combination, on data full of edge cases: ±0, NaN, ±∞, subnormals, exact
 * ties with the thresholds, and thresholds of 0, ±∞ and NaN. (A NaN's sign and payload are not compared: the JIT may
 * swap a commutative operation's operands, which picks the other NaN.)
 */
class TaskVectorKernelTest {
    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 0.5f, -0.5f, 1f, -1f};

    private static float[] data(Random r, int n, float[] near) {
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            int kind = r.nextInt(10);
            x[j] = switch (kind) {
                case 0 -> SPECIAL[r.nextInt(SPECIAL.length)];
                case 1 -> near[r.nextInt(near.length)] * (r.nextBoolean() ? 1 : -1);
                case 2 -> (r.nextInt(7) - 3) * 0.25f; // ties, and zeros
                default -> (float) (r.nextGaussian() * 0.1);
            };
        }
        return x;
    }

    @Test
    void branchFreeKernelMatchesThePlainOneBitForBit() {
        Random r = new Random(7);
        long start = TaskArithmeticMerge.CHUNK; // a multiple of CHUNK, as the callers use
        String[] methods = {"task_arithmetic", "ties", "dare_linear", "dare_ties", "magnitude_prune", "breadcrumbs", "breadcrumbs_ties"};
        float[][] bounds = {{0.05f, Float.POSITIVE_INFINITY}, {0.25f, 0.5f}, {0f, Float.POSITIVE_INFINITY},
            {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY},
            {Float.NaN, 1f}, {0.1f, Float.NaN}, {-0f, 0.1f}, {Float.MIN_VALUE, Float.MAX_VALUE}, {0.3f, 0.2f}};
        // infinite weights take the kernel's masked path (a NaN weight is not covered: the reference and the kernel
        // differ there, as they did before the bulk bit conversions)
        double[][] weights = {{1, 1, 1}, {0.6, -0.3, 1.7}, {0, 0, 2}, {0, 0, 0}, {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1},
            {-1, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}};
        double[][] densities = {{0.2, 0.5, 0.9}, {1, 0, -0.5}, {0.3, Double.NaN, 1e-9}};
        int cases = 0;
        for (String name : methods) {
            TaskArithmeticMerge method = (TaskArithmeticMerge) MergeMethods.byName(name);
            for (int trial = 0; trial < 12; trial++) {
                int n = name.startsWith("dare") && trial < 2 ? TaskArithmeticMerge.CHUNK + 4000 : 5000; // DARE: a new stream inside
                float[] near = {bounds[trial % bounds.length][0], bounds[trial % bounds.length][1], Math.nextUp(0.05f), Math.nextDown(0.25f)};
                int k = 1 + trial % 3;
                boolean withBase = trial != 5;
                float[] base = withBase ? data(r, n, near) : null;
                List<float[]> models = new ArrayList<>();
                for (int i = 0; i < k; i++) {
                    float[] m = data(r, n, near);
                    if (base != null) {
                        for (int j = 0; j < n; j++) {
                            // mostly τ = m − base lands on the interesting values themselves
                            m[j] = r.nextInt(4) == 0 ? m[j] : base[j] + m[j];
                        }
                    }
                    models.add(m);
                }
                double[] w = new double[k];
                float[] lo = new float[k];
                float[] hi = new float[k];
                double[] density = new double[k];
                for (int i = 0; i < k; i++) {
                    float[] b = bounds[(trial + 3 * i) % bounds.length];
                    lo[i] = b[0];
                    hi[i] = b[1];
                    w[i] = weights[trial % weights.length][i];
                    density[i] = densities[trial % densities.length][i];
                }
                List<Map<String, Double>> mp = new ArrayList<>();
                for (int i = 0; i < k; i++) {
                    mp.add(Map.of("weight", w[i], "density", density[i]));
                }
                Map<String, Double> params = new HashMap<>();
                params.put("lambda", new double[] {1, 0.8, -1.5, 0}[trial % 4]);
                if (trial % 3 == 1) {
                    params.put("normalize", trial % 2 == 0 ? 1.0 : 0.0);
                }
                if (trial % 4 == 2) {
                    params.put("majority_sign_frequency", 1.0);
                }
                if (trial % 5 == 3) {
                    params.put("rescale", 0.0); // DARE without rescaling
                }
                MergeInput in = new MergeInput("model.layers." + trial + ".w", trial, base, models, mp, params, 11 + trial, null);
                TaskArithmeticMerge.Prepared p = new TaskArithmeticMerge.Prepared(w, lo, hi, density, null);
                float[] want = new float[n];
                float[] got = new float[n];
                ReferenceTaskKernel.mergeRange(sparsify(name), name.contains("ties"), name.equals("ties"), in, p, start, base, models, n, want);
                method.mergeRange(in, p, start, base, models, n, got);
                assertSame(want, got, name + " trial " + trial);
                // in consecutive pieces, continuing DARE's streams (the streamed path), and in pieces that start afresh
                for (boolean continued : new boolean[] {true, false}) {
                    TaskArithmeticMerge.Draws draws = new TaskArithmeticMerge.Draws(k);
                    float[] pieces = new float[n];
                    for (int from = 0; from < n; ) {
                        int len = Math.min(n - from, continued ? 1 + r.nextInt(n < 10000 ? 2000 : 100000) : n / 3 + 1);
                        List<float[]> ms = new ArrayList<>();
                        for (float[] m : models) {
                            ms.add(Arrays.copyOfRange(m, from, from + len));
                        }
                        float[] o = new float[len];
                        method.mergeRange(in, p, start + from, base == null ? null : Arrays.copyOfRange(base, from, from + len), ms, len, o,
                                continued ? draws : new TaskArithmeticMerge.Draws(k));
                        System.arraycopy(o, 0, pieces, from, len);
                        from += len;
                    }
                    assertSame(want, pieces, name + " trial " + trial + (continued ? " in pieces" : " in fresh pieces"));
                }
                cases++;
            }
        }
        assertEquals(methods.length * 12, cases);
    }

    private static void assertSame(float[] want, float[] got, String what) {
        for (int j = 0; j < want.length; j++) {
            if (Float.floatToIntBits(want[j]) != Float.floatToIntBits(got[j])) { // all NaNs alike: Java leaves their bits open
                assertEquals(want[j], got[j], what + " element " + j);
                assertEquals(Float.floatToIntBits(want[j]), Float.floatToIntBits(got[j]), what + " element " + j);
            }
        }
    }

    private static TaskArithmeticMerge.Sparsify sparsify(String method) {
        if (method.startsWith("dare")) {
            return TaskArithmeticMerge.Sparsify.RANDOM;
        }
        if (method.startsWith("breadcrumbs")) {
            return TaskArithmeticMerge.Sparsify.BREADCRUMBS;
        }
        return method.equals("task_arithmetic") ? TaskArithmeticMerge.Sparsify.NONE : TaskArithmeticMerge.Sparsify.MAGNITUDE;
    }
}
