package dev.graft.merge;

import java.util.SplittableRandom;

/**
 * The per-element loops of {@link TaskArithmeticMerge}, written without data-dependent branches. On real and random
 * task vectors the conditions (kept by the magnitude band? agrees with the elected sign? any model left?) are close
 * to coin flips, so branches mispredict about half the time; here each condition becomes an all-ones or all-zero bit
 * mask built from the IEEE bit patterns, and the value is ANDed with it. Every loop computes exactly what the plain
 * conditional would (same operations in the same order; a dropped value is +0, as before), so results are
 * bit-identical to the straightforward kernel.
 */
final class TaskVectorKernel {
    private TaskVectorKernel() {
    }

    private static final long ABS = 0x7fffffffffffffffL;

    /** t[j] = m[from + j] − b[from + j] (b null: a copy), for j in [0, n). */
    static void delta(float[] m, float[] b, int from, float[] t, int n) {
        if (b == null) {
            System.arraycopy(m, from, t, 0, n);
            return;
        }
        for (int j = 0; j < n; j++) {
            t[j] = m[from + j] - b[from + j];
        }
    }

    /** The lower end of a magnitude band as an int to compare |x|'s bit pattern with (|x| ≥ lo ⇔ bits ≥ this). */
    static int lowBits(float lo) {
        return lo > 0 ? Float.floatToRawIntBits(lo) : 0; // a NaN bound is handled by highBits, which then keeps nothing
    }

    /**
     * The upper end (|x| &lt; hi ⇔ bits &lt; this). Every NaN pattern is above +∞'s, so NaNs always fall out, as they
     * do with float comparisons; a NaN bound keeps nothing.
     */
    static int highBits(float lo, float hi) {
        if (lo != lo || hi != hi || hi <= 0) {
            return 0;
        }
        return Float.floatToRawIntBits(hi);
    }

    /** Keeps t[j] where lo ≤ |t[j]| &lt; hi (bounds from {@link #lowBits}, {@link #highBits}) and sets the rest to +0. */
    static void keepBand(float[] t, int n, int lo, int hi) {
        for (int j = 0; j < n; j++) {
            int bits = Float.floatToRawIntBits(t[j]);
            int a = bits & 0x7fffffff;
            int keep = ~(a - lo) & (a - hi); // sign bit: a ≥ lo and a < hi (both differences fit in an int)
            t[j] = Float.intBitsToFloat(bits & (keep >> 31));
        }
    }

    /**
     * DARE over t[0..n): keeps t[j]·scale where the j-th draw of {@code r} is below density d (0 &lt; d &lt; 1),
     * else +0; draws exactly one double per element, like the plain loop.
     */
    static void dropAndRescale(float[] t, int from, int n, SplittableRandom r, double d, float scale) {
        long db = Double.doubleToRawLongBits(d);
        for (int j = from; j < from + n; j++) {
            long rb = Double.doubleToRawLongBits(r.nextDouble()); // both in [0, 1): bit patterns order like values
            int keep = (int) ((rb - db) >> 63);
            t[j] = Float.intBitsToFloat(Float.floatToRawIntBits(t[j] * scale) & keep);
        }
    }

    /** mass[j] += w · t[j] (TIES' elected sign by total mass). */
    static void addMass(double[] mass, float[] t, int n, double w) {
        for (int j = 0; j < n; j++) {
            mass[j] += w * t[j];
        }
    }

    /** mass[j] += sign(t[j]) (elected sign by frequency). */
    static void addSigns(double[] mass, float[] t, int n) {
        for (int j = 0; j < n; j++) {
            mass[j] += Math.signum(t[j]);
        }
    }

    /**
     * The elected sign of each element as two ints for {@link #addAgreeing}: sign[j] carries mass[j]'s sign bit, and
     * limit[j] is 0x7f7fffff when mass[j] can be agreed with, −1 when it is ±0 or NaN (then nothing agrees).
     */
    static void electedSign(double[] mass, int n, int[] sign, int[] limit) {
        for (int j = 0; j < n; j++) {
            long mb = Double.doubleToRawLongBits(mass[j]);
            long ma = (mb & ABS) - 1; // in [0, 0x7fefffffffffffff] iff mass is neither ±0 nor NaN
            long bad = (ma | (0x7fefffffffffffffL - ma)) >> 63;
            sign[j] = (int) (mb >>> 32);
            limit[j] = 0x7f7fffff | (int) bad;
        }
    }

    /**
     * Adds w·t[j] to sum[j] and w to wsum[j] where t[j] agrees with the elected sign, that is (t &gt; 0 and mass &gt; 0)
     * or (t &lt; 0 and mass &lt; 0); elsewhere both get +0. The sign comes from {@link #electedSign}.
     */
    static void addAgreeing(double[] sum, double[] wsum, float[] t, int[] sign, int[] limit, int n, double w) {
        if (!Double.isFinite(w)) {
            addAgreeingMasked(sum, wsum, t, sign, limit, n, w);
            return;
        }
        // w is finite, so w·(+0) is ±0 and adding it leaves sum unchanged (sum starts at +0 and never becomes −0):
        // zeroing the value that disagrees is enough, and its weight comes from a two-entry table
        double[] weight = {0.0, w};
        for (int j = 0; j < n; j++) {
            int vb = Float.floatToRawIntBits(t[j]);
            int va = (vb & 0x7fffffff) - 1; // in [0, 0x7f7fffff] iff t is neither ±0 nor NaN
            int keep = ~((vb ^ sign[j]) | va | (limit[j] - va)) >> 31;
            sum[j] += w * Float.intBitsToFloat(vb & keep);
            wsum[j] += weight[keep & 1];
        }
    }

    /** {@link #addAgreeing} for any w (∞, NaN): masks the products rather than the values. */
    private static void addAgreeingMasked(double[] sum, double[] wsum, float[] t, int[] sign, int[] limit, int n, double w) {
        long wb = Double.doubleToRawLongBits(w);
        for (int j = 0; j < n; j++) {
            float v = t[j];
            int vb = Float.floatToRawIntBits(v);
            int va = (vb & 0x7fffffff) - 1;
            long keep = ~((vb ^ sign[j]) | va | (limit[j] - va)) >> 31;
            sum[j] += Double.longBitsToDouble(Double.doubleToRawLongBits(w * v) & keep);
            wsum[j] += Double.longBitsToDouble(wb & keep);
        }
    }

    /** sum[j] += w·t[j], wsum[j] += w. */
    static void addAll(double[] sum, double[] wsum, float[] t, int n, double w) {
        for (int j = 0; j < n; j++) {
            sum[j] += w * t[j];
            wsum[j] += w;
        }
    }

    /**
     * out[from + j] = base[from + j] + λ·τ with τ = sum[j] / wsum[j] (+0 where wsum[j] is ±0) when normalising,
     * else sum[j]; a null base counts as 0.
     */
    static void finish(double[] sum, double[] wsum, float[] base, int from, int n, boolean normalize, double lambda, float[] out) {
        if (normalize) {
            for (int j = 0; j < n; j++) {
                long zb = Double.doubleToRawLongBits(wsum[j]) << 1; // 0 iff wsum is ±0
                long nonzero = (zb | -zb) >> 63;
                double t = Double.longBitsToDouble(Double.doubleToRawLongBits(sum[j] / wsum[j]) & nonzero);
                out[from + j] = (float) ((base == null ? 0.0 : base[from + j]) + lambda * t);
            }
        } else {
            for (int j = 0; j < n; j++) {
                out[from + j] = (float) ((base == null ? 0.0 : base[from + j]) + lambda * sum[j]);
            }
        }
    }
}
