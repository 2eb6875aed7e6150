package dev.graft.merge;

import java.util.SplittableRandom;

/**
 * Building blocks shared by the task-vector methods: differences from the base, sparsification (magnitude, random
 * drop-and-rescale, breadcrumbs), sign election and thresholds. Pure functions over float arrays; inputs are never
 * modified.
 */
public final class TaskVectors {
    private TaskVectors() {
    }

    /** τ = θ − θ₀ [n]; with a null base, θ itself (the base is zero, as for LoRA deltas). */
    public static float[] delta(float[] model, float[] base) {
        float[] d = new float[model.length];
        if (base == null) {
            System.arraycopy(model, 0, d, 0, model.length);
            return d;
        }
        for (int i = 0; i < d.length; i++) {
            d[i] = model[i] - base[i];
        }
        return d;
    }

    /** How many of n elements a density keeps: ⌊density·n⌋ (mergekit's int(density·n)), clamped to [0, n]. */
    public static int keepCount(double density, int n) {
        return (int) keepCount(density, (long) n);
    }

    /** As {@link #keepCount(double, int)} for long counts. */
    public static long keepCount(double density, long n) {
        double kept = Math.floor(density * n); // the product in double, as Python's int(density * n)
        return kept != kept ? 0 : (long) Math.max(0, Math.min(n, kept));
    }

    /**
     * The k-th largest |x| (1-based); +∞ for k = 0. Selection in expected linear time on a copy.
     */
    public static float kthLargestMagnitude(float[] x, int k) {
        if (k <= 0) {
            return Float.POSITIVE_INFINITY;
        }
        float[] a = new float[x.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(x[i]);
        }
        return select(a, a.length - k);
    }

    /**
     * Breadcrumbs' band of magnitude ranks for n elements (mergekit's magnitude_outliers): the top ⌊γ·n⌋ (outliers)
     * are dropped and ⌊density·n⌋ are kept below them; when the two exceed n the outlier cut shrinks to fit, so the
     * kept count holds.
     *
     * @return {outliers, outliers + kept}: ranks in [outliers, outliers + kept) (0-based from the largest) are kept
     */
    public static long[] breadcrumbsBand(double density, double gamma, long n) {
        long keep = keepCount(density, n);
        long top = Math.min(keepCount(gamma, n), n - keep);
        return new long[] {top, top + keep};
    }

    /**
     * Magnitude pruning in place: keeps the elements whose |x| is at least the {@code ⌊density·n⌋}-th largest
     * magnitude, zeroes the others (elements tied with the threshold are all kept).
     */
    public static void keepTopMagnitude(float[] x, double density) {
        if (density >= 1) {
            return;
        }
        keepTopMagnitude(x, keepCount(density, x.length));
    }

    /**
     * Magnitude pruning in place to {@code count} elements: keeps those whose |x| is at least the count-th largest
     * magnitude (ties with it all kept), zeroes the others; count ≥ n keeps everything.
     */
    public static void keepTopMagnitude(float[] x, int count) {
        if (count >= x.length) {
            return;
        }
        float thr = kthLargestMagnitude(x, count);
        for (int i = 0; i < x.length; i++) {
            if (!(Math.abs(x[i]) >= thr)) {
                x[i] = 0f;
            }
        }
    }

    /**
     * Model breadcrumbs in place: ranks elements by magnitude, drops the largest {@code gamma} fraction (outliers)
     * and everything below the next {@code density} fraction (the ranks of {@link #breadcrumbsBand}); density ≥ 1
     * keeps everything.
     */
    public static void keepBreadcrumbs(float[] x, double density, double gamma) {
        if (density >= 1) {
            return;
        }
        int n = x.length;
        long[] band = breadcrumbsBand(density, gamma, n);
        int top = (int) band[0];
        int upto = (int) band[1];
        float hi = top == 0 ? Float.POSITIVE_INFINITY : kthLargestMagnitude(x, top); // values >= hi are outliers
        float lo = kthLargestMagnitude(x, upto); // values >= lo survive the small-value cut
        for (int i = 0; i < n; i++) {
            float m = Math.abs(x[i]);
            if (!(m >= lo) || (top > 0 && m >= hi)) {
                x[i] = 0f;
            }
        }
    }

    /**
     * DARE in place: drops each element with probability p = 1 − density and rescales the survivors by 1/density,
     * so the expectation is unchanged. The random stream is fixed by {@code seed}.
     */
    public static void dropAndRescale(float[] x, double density, long seed) {
        if (density >= 1) {
            return;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        float scale = density <= 0 ? 0f : (float) (1.0 / density);
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextDouble() < density ? x[i] * scale : 0f;
        }
    }

    /** A reproducible per-(tensor, model) seed: the merge seed mixed with the tensor name and the model index. */
    public static long streamSeed(long seed, String tensor, int model) {
        long h = seed * 0x9E3779B97F4A7C15L + tensor.hashCode(); // String.hashCode is fixed by the Java spec
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + model;
        return h ^ (h >>> 29);
    }

    /**
     * TIES' elected sign per element, as mergekit elects it: sign(Σᵢ wᵢ τᵢ) ("sum", the summed mass), or
     * sign(Σᵢ sign(wᵢ τᵢ)) with {@code frequency} ("count"); a tie (0) elects +1, a NaN −1.
     *
     * @return +1 or −1 per element [n]
     */
    public static byte[] electSign(float[][] tv, double[] w, boolean frequency) {
        int n = tv[0].length;
        byte[] s = new byte[n];
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int i = 0; i < tv.length; i++) {
                sum += frequency ? Math.signum(w[i]) * Math.signum(tv[i][j]) : w[i] * tv[i][j];
            }
            s[j] = (byte) (sum >= 0 ? 1 : -1);
        }
        return s;
    }

    /** Hoare-style quickselect with a 3-way partition (duplicates are common in pruned tensors); modifies a. */
    static float select(float[] a, int index) {
        int lo = 0;
        int hi = a.length - 1;
        SplittableRandom rnd = new SplittableRandom(a.length);
        while (lo < hi) {
            float pivot = a[lo + rnd.nextInt(hi - lo + 1)];
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i <= gt) {
                float v = a[i];
                if (v < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v > pivot) {
                    a[i] = a[gt];
                    a[gt--] = v;
                } else {
                    i++;
                }
            }
            if (index < lt) {
                hi = lt - 1;
            } else if (index > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        return a[index];
    }
}
