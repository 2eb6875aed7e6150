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
    private static final long SIGN = 0x8000000000000000L;
    private static final long ONE = 0x3ff0000000000000L; // 1.0

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

    /**
     * Keeps the value with bit pattern bits[j] where lo ≤ |value| &lt; hi (bounds from {@link #lowBits},
     * {@link #highBits}) and sets the rest to +0. Works on bit patterns ({@link BitView}) so the loop vectorises.
     */
    static void keepBand(int[] bits, int n, int lo, int hi) {
        for (int j = 0; j < n; j++) {
            int a = bits[j] & 0x7fffffff;
            int keep = ~(a - lo) & (a - hi); // sign bit: a ≥ lo and a < hi (both differences fit in an int)
            bits[j] &= keep >> 31;
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

    /** d[j] = t[j] widened to double (once per model, for the double sums that follow). */
    static void widen(float[] t, double[] d, int n) {
        for (int j = 0; j < n; j++) {
            d[j] = t[j];
        }
    }

    /** mass[j] += w · t[j] (TIES' elected sign by total mass), t widened ({@link #widen}): the same product. */
    static void addMass(double[] mass, double[] t, int n, double w) {
        for (int j = 0; j < n; j++) {
            mass[j] += w * t[j];
        }
    }

    /** mass[j] += sign(w·t[j]) (elected sign by frequency: the signs of the weighted task vectors are counted). */
    static void addSigns(double[] mass, float[] t, int n, double w) {
        double sw = Math.signum(w);
        for (int j = 0; j < n; j++) {
            mass[j] += sw * Math.signum(t[j]);
        }
    }

    /**
     * The elected sign of each element for {@link #addAgreeing}, from the bit patterns of the masses: sign[j] has only
     * the sign bit set when the sign is negative (mass &lt; 0, or NaN), and is 0 when it is positive (mass ≥ 0: a tie
     * elects +, as mergekit does).
     */
    static void electedSign(long[] massBits, int n, long[] sign) {
        for (int j = 0; j < n; j++) {
            long mb = massBits[j];
            long a = mb & ABS;
            long negative = mb & (a | -a); // sign bit: mass < 0 (−0 does not count)
            long nan = 0x7ff0000000000000L - a; // sign bit: NaN
            sign[j] = (negative | nan) & SIGN;
        }
    }

    /**
     * Adds w·t[j] to sum[j] and w to wsum[j] where the weighted value w·t[j] agrees with the elected sign, that is
     * sign(w·t[j]) = sign[j] (a zero or NaN value, or a zero weight, never agrees); elsewhere both get +0. t is given
     * widened ({@code t}) and as the bit patterns of that ({@code bits}); both are overwritten, {@code oneBits} and
     * {@code ones} are scratch. The masks are built in a long loop and the sums in a double loop, each of one type,
     * so both vectorise; a float widened to double keeps its sign, zero and NaN, so the test is the float one.
     */
    static void addAgreeing(double[] sum, double[] wsum, long[] bits, double[] t, long[] sign, int n, double w, long[] oneBits,
                            double[] ones, BitView view) {
        if (w == 0) {
            return; // w·t has no sign: nothing agrees
        }
        if (!Double.isFinite(w)) {
            addAgreeingMasked(sum, wsum, bits, sign, n, w);
            return;
        }
        long flip = w < 0 ? SIGN : 0; // w·t's sign is t's, flipped for a negative weight
        for (int j = 0; j < n; j++) {
            long vb = bits[j];
            long va = (vb & ABS) - 1; // in [0, +∞'s bits − 1] iff t is neither ±0 nor NaN
            long keep = ~((vb ^ flip ^ sign[j]) | va | (0x7fefffffffffffffL - va)) >> 63;
            bits[j] = vb & keep;
            oneBits[j] = ONE & keep; // 1.0 where kept, else +0
        }
        view.toDoubles(bits, t, n);
        view.toDoubles(oneBits, ones, n);
        // w is finite, so w·(+0) is ±0 and adding it leaves sum and wsum unchanged (they start at +0 and never become
        // −0): zeroing the value that disagrees is enough, and w·1 = w exactly. Two loops: with two double[] stores in
        // one loop C2 cannot rule out aliasing and does not vectorise it.
        for (int j = 0; j < n; j++) {
            sum[j] += w * t[j];
        }
        for (int j = 0; j < n; j++) {
            wsum[j] += w * ones[j];
        }
    }

    /** {@link #addAgreeing} for an infinite or NaN w: masks the products rather than the values. */
    private static void addAgreeingMasked(double[] sum, double[] wsum, long[] bits, long[] sign, int n, double w) {
        long wb = Double.doubleToRawLongBits(w);
        long flip = wb & SIGN;
        for (int j = 0; j < n; j++) {
            long vb = bits[j];
            double v = Double.longBitsToDouble(vb);
            long va = (vb & ABS) - 1;
            long keep = ~((vb ^ flip ^ sign[j]) | va | (0x7fefffffffffffffL - va)) >> 63;
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
     * out[from + j] = base[from + j] + λ·τ with τ = sum[j] / wsum[j] when normalising, else sum[j]; a divisor with
     * |wsum[j]| &lt; {@code small} counts as 1 (mergekit: 0 with sign consensus, where nothing agreed; 1e-8 without).
     * A null base counts as 0.
     */
    static void finish(double[] sum, double[] wsum, float[] base, int from, int n, boolean normalize, double small, double lambda,
                       float[] out) {
        if (normalize) {
            for (int j = 0; j < n; j++) {
                double d = Math.abs(wsum[j]) < small ? 1.0 : wsum[j];
                out[from + j] = (float) ((base == null ? 0.0 : base[from + j]) + lambda * (sum[j] / d));
            }
        } else {
            for (int j = 0; j < n; j++) {
                out[from + j] = (float) ((base == null ? 0.0 : base[from + j]) + lambda * sum[j]);
            }
        }
    }
}
