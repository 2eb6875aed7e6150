package dev.graft.merge;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The task-vector merge kernel as it was before it was made branch-free (straightforward conditionals per element):
 * the oracle that {@link TaskVectorKernelTest} holds the fast kernel to, bit for bit.
 */
final class ReferenceTaskKernel {
    private ReferenceTaskKernel() {
    }

    static void mergeRange(TaskArithmeticMerge.Sparsify sparsify, boolean consensus, boolean normalizeByDefault, MergeInput in,
                           TaskArithmeticMerge.Prepared p,
                           long start, float[] base, List<float[]> models, int len, float[] out) {
        // Column-wise over small blocks: each loop is a simple pass over contiguous arrays (the JIT vectorises most of
        // them) and the scratch arrays stay in cache. Per element the models are summed in index order, as before.
        final int block = 2048;
        int k = models.size();
        double[] w = p.w();
        boolean frequency = in.param("majority_sign_frequency", 0) != 0;
        boolean normalize = in.param("normalize", normalizeByDefault ? 1 : 0) != 0;
        boolean rescale = in.param("rescale", 1) != 0;
        double lambda = in.param("lambda", 1);
        float[][] tv = new float[k][block];
        double[] mass = new double[block];
        double[] sum = new double[block];
        double[] wsum = new double[block];
        SplittableRandom[] rng = new SplittableRandom[k];
        long[] rngChunk = new long[k];
        Arrays.fill(rngChunk, -1);
        for (int s = 0; s < len; s += block) {
            int m = Math.min(block, len - s);
            for (int i = 0; i < k; i++) {
                float[] src = models.get(i);
                float[] t = tv[i];
                if (base == null) {
                    System.arraycopy(src, s, t, 0, m);
                } else {
                    for (int j = 0; j < m; j++) {
                        t[j] = src[s + j] - base[s + j];
                    }
                }
                switch (sparsify) {
                    case MAGNITUDE, BREADCRUMBS -> {
                        float lo = p.lo()[i];
                        float hi = p.hi()[i];
                        for (int j = 0; j < m; j++) {
                            float a = Math.abs(t[j]);
                            t[j] = a >= lo && a < hi ? t[j] : 0f;
                        }
                    }
                    case RANDOM -> {
                        double d = p.density()[i];
                        if (d < 1) {
                            float scale = !rescale ? 1f : d <= 0 ? 0f : (float) (1.0 / d);
                            for (int j = 0; j < m; j++) {
                                long chunk = (start + s + j) / TaskArithmeticMerge.CHUNK; // one random stream per CHUNK elements
                                if (chunk != rngChunk[i]) {
                                    rng[i] = new SplittableRandom(TaskVectors.streamSeed(in.seed(), in.tensor(), i) + chunk * 0x9E3779B97F4A7C15L);
                                    rngChunk[i] = chunk;
                                }
                                t[j] = rng[i].nextDouble() < d ? t[j] * scale : 0f;
                            }
                        }
                    }
                    case NONE -> { }
                }
            }
            if (consensus) {
                Arrays.fill(mass, 0, m, 0.0);
                for (int i = 0; i < k; i++) {
                    float[] t = tv[i];
                    double wi = w[i];
                    for (int j = 0; j < m; j++) {
                        mass[j] += frequency ? Math.signum(wi) * Math.signum(t[j]) : wi * t[j];
                    }
                }
            }
            Arrays.fill(sum, 0, m, 0.0);
            Arrays.fill(wsum, 0, m, 0.0);
            for (int i = 0; i < k; i++) {
                float[] t = tv[i];
                double wi = w[i];
                if (consensus) {
                    for (int j = 0; j < m; j++) {
                        float v = t[j];
                        double elected = mass[j] >= 0 ? 1 : -1; // mergekit: a tie elects +, NaN elects −
                        boolean agree = Math.signum(wi) * Math.signum(v) == elected; // the weighted value's sign
                        sum[j] += agree ? wi * v : 0.0;
                        wsum[j] += agree ? wi : 0.0;
                    }
                } else {
                    for (int j = 0; j < m; j++) {
                        sum[j] += wi * t[j];
                        wsum[j] += wi;
                    }
                }
            }
            for (int j = 0; j < m; j++) {
                double small = consensus ? Double.MIN_VALUE : 1e-8; // mergekit: such divisors count as 1
                double t = normalize ? sum[j] / (Math.abs(wsum[j]) < small ? 1 : wsum[j]) : sum[j];
                out[s + j] = (float) ((base == null ? 0 : base[s + j]) + lambda * t);
            }
        }
    }
}
