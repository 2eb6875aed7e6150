package dev.graft.merge;

/**
 * Exact k-th largest magnitude over data seen in chunks, in two passes and constant memory. Non-negative floats
 * order like their bit patterns, so pass 1 counts the high 16 bits of |x| (sign, exponent, 7 mantissa bits) to find
 * the bucket holding the k-th largest, and pass 2 counts the low 16 bits of the values inside that bucket.
 * Several ranks can be asked at once; NaNs are ignored (they are never kept).
 */
final class RadixSelect {
    private final long[] ranks;
    private final long[] high = new long[1 << 16];
    private final long[][] low;
    private int[] bucket;
    private long[] above; // elements in higher buckets, per rank

    /** @param ranks 1-based ranks from the top; 0 means "keep nothing" and yields +∞ */
    RadixSelect(long[] ranks) {
        this.ranks = ranks.clone();
        this.low = new long[ranks.length][];
    }

    boolean needed() {
        return ranks.length > 0;
    }

    /** Pass 1 over one chunk of values (their magnitudes are taken). */
    synchronized void countHigh(long[] local) {
        for (int i = 0; i < local.length; i++) {
            high[i] += local[i];
        }
    }

    /** Pass 1 over one chunk, from a thread-local int histogram of the high 16 bits of the magnitudes. */
    synchronized void countHigh(int[] local) {
        for (int i = 0; i < local.length; i++) {
            high[i] += local[i];
        }
    }

    /** Histogram of one chunk for pass 1 (thread-local; combine with {@link #countHigh}). */
    static long[] highHistogram(float[] x, int len) {
        long[] h = new long[1 << 16];
        for (int j = 0; j < len; j++) {
            float a = Math.abs(x[j]);
            if (a == a) {
                h[Float.floatToRawIntBits(a) >>> 16]++;
            }
        }
        return h;
    }

    /** Ends pass 1: finds each rank's bucket. */
    void finishHigh() {
        bucket = new int[ranks.length];
        above = new long[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            low[r] = new long[1 << 16];
            if (ranks[r] <= 0) {
                bucket[r] = -1;
                continue;
            }
            long seen = 0;
            int b = high.length - 1;
            while (b >= 0 && seen + high[b] < ranks[r]) {
                seen += high[b];
                b--;
            }
            bucket[r] = b; // -1 if fewer than rank values exist
            above[r] = seen;
        }
    }

    /** The bucket pass 2 must histogram for rank r (or -1). */
    int bucket(int r) {
        return bucket[r];
    }

    int size() {
        return ranks.length;
    }

    /** Elements counted in rank r's bucket by pass 1 (an upper bound on the values still undecided). */
    long bucketCount(int r) {
        return bucket[r] < 0 ? 0 : high[bucket[r]];
    }

    /** The smallest value in rank r's bucket (every value in a higher bucket is larger). */
    float bucketFloor(int r) {
        return ranks[r] <= 0 ? Float.POSITIVE_INFINITY : bucket[r] < 0 ? 0f : Float.intBitsToFloat(bucket[r] << 16);
    }

    /** Pass-2 histogram of one chunk for bucket b. */
    static long[] lowHistogram(float[] x, int len, int b) {
        long[] h = new long[1 << 16];
        for (int j = 0; j < len; j++) {
            float a = Math.abs(x[j]);
            int bits = Float.floatToRawIntBits(a);
            if (a == a && (bits >>> 16) == b) {
                h[bits & 0xffff]++;
            }
        }
        return h;
    }

    synchronized void countLow(int r, long[] local) {
        for (int i = 0; i < local.length; i++) {
            low[r][i] += local[i];
        }
    }

    /** The thresholds: the ranks' values (+∞ for rank 0; 0 when the rank exceeds the count, keeping everything). */
    float[] result() {
        float[] out = new float[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] <= 0) {
                out[r] = Float.POSITIVE_INFINITY;
                continue;
            }
            if (bucket[r] < 0) {
                out[r] = 0f;
                continue;
            }
            long seen = above[r];
            int l = (1 << 16) - 1;
            while (l > 0 && seen + low[r][l] < ranks[r]) {
                seen += low[r][l];
                l--;
            }
            out[r] = Float.intBitsToFloat((bucket[r] << 16) | l);
        }
        return out;
    }
}
