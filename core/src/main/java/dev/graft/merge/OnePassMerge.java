package dev.graft.merge;

import dev.graft.io.safetensors.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * Exact magnitude thresholds (TIES, magnitude pruning, breadcrumbs) with the inputs read once instead of twice.
 *
 * <p>A sample of the tensor (every {@value #SAMPLE_STRIDE}th block of {@link ChunkBlocks#BLOCK} elements) brackets each
 * threshold: the sampled k-th largest magnitude, widened by {@link #slack} standard deviations of the sample rank, gives
 * a range of high-16-bit buckets that holds the exact threshold with near certainty. The one merge pass then decides
 * every element whose |τᵢ| lie outside the brackets (with the bracket's floor as provisional threshold), counts exactly
 * how many |τᵢ| lie above each bracket, and keeps the inputs of the elements with a value inside one. The exact
 * threshold is then the (rank − above)-th largest of the kept values in the bracket: the undecided elements are
 * recomputed with it and patched in, and the tensor is written. If the sample misled (the exact rank falls outside
 * its bracket) nothing has been written yet, and the caller runs the two-pass radix select instead — so the result
 * is always the exact one, bit for bit.
 */
final class OnePassMerge {
    /** One block in this many is sampled. */
    static final int SAMPLE_STRIDE = 16;
    /** Bracket half-width in standard deviations of the sample rank (tests set it negative to force a miss). */
    static volatile double slack = 6;
    /** Tensors merged in one pass so far (tests check the path is taken). */
    static final java.util.concurrent.atomic.AtomicLong merged = new java.util.concurrent.atomic.AtomicLong();

    private OnePassMerge() {
    }

    /**
     * Merges and writes the tensor in one read of its inputs, or returns false (having written nothing) when the
     * tensor is too small to sample, the brackets would hold too many elements, or the sample misled.
     */
    static boolean write(FileChannel ch, TaskArithmeticMerge ta, MergeInput meta, ChunkedMerge.Inputs in, RadixSelect[] sel,
                         DType dtype, ExecutorService pool, int threads) throws IOException {
        long n = in.n();
        int k = in.models().size();
        long blocks = (n + ChunkBlocks.BLOCK - 1) / ChunkBlocks.BLOCK;
        if (blocks < 8L * SAMPLE_STRIDE) {
            return false; // small: two passes cost little and the sample would be thin
        }
        // the sample: the high 16 bits of |τᵢ| in every SAMPLE_STRIDE-th block
        long[][] hist = new long[k][1 << 16];
        long[] sampled = new long[1];
        int chunk = TaskArithmeticMerge.CHUNK;
        int chunks = (int) ((n + chunk - 1) / chunk);
        ChunkedMerge.forEachChunk(pool, chunks, c -> {
            long from = (long) c * chunk;
            int len = (int) Math.min(chunk, n - from);
            int[][] h = new int[k][];
            long count = 0;
            try (ChunkBlocks x = new ChunkBlocks(in.base(), in.models(), in.name(), from, len)) {
                for (int off = 0; off < len; off += ChunkBlocks.BLOCK) {
                    if (((from + off) / ChunkBlocks.BLOCK) % SAMPLE_STRIDE != 0) {
                        continue;
                    }
                    int cnt = x.read(off);
                    count += cnt;
                    for (int i = 0; i < k; i++) {
                        if (sel[i].needed()) {
                            if (h[i] == null) {
                                h[i] = new int[1 << 16];
                            }
                            countHigh(h[i], x.modelBlocks.get(i), x.baseBlock, cnt);
                        }
                    }
                }
            }
            synchronized (hist) {
                sampled[0] += count;
                for (int i = 0; i < k; i++) {
                    if (h[i] != null) {
                        for (int b = 0; b < h[i].length; b++) {
                            hist[i][b] += h[i][b];
                        }
                    }
                }
            }
        });
        long s = sampled[0];
        // each rank's bracket [lo, hi] of high-16-bit buckets; lo = hi = -1 when the rank keeps nothing
        int[][] lo = new int[k][];
        int[][] hi = new int[k][];
        double undecided = 0;
        for (int i = 0; i < k; i++) {
            int ranks = sel[i].needed() ? sel[i].size() : 0;
            lo[i] = new int[ranks];
            hi[i] = new int[ranks];
            for (int r = 0; r < ranks; r++) {
                long rank = sel[i].rank(r);
                if (rank <= 0) {
                    lo[i][r] = -1;
                    hi[i][r] = -1;
                    continue;
                }
                double rho = (double) rank * s / n; // the rank's expected place in the sample
                double sd = Math.sqrt(Math.max(rho * (1 - rho / s), 1));
                double margin = slack * sd + 32;
                hi[i][r] = bucketAtRank(hist[i], rho - margin);
                lo[i][r] = rho + margin >= s ? 0 : bucketAtRank(hist[i], rho + margin);
                for (int b = Math.max(lo[i][r], 0); b <= hi[i][r]; b++) {
                    undecided += hist[i][b] * ((double) n / s);
                }
            }
        }
        if (undecided > ChunkedMerge.fixupLimit) {
            return false;
        }
        float[][] provisional = new float[k][];
        for (int i = 0; i < k; i++) {
            provisional[i] = new float[lo[i].length];
            for (int r = 0; r < lo[i].length; r++) {
                provisional[i][r] = lo[i][r] < 0 ? Float.POSITIVE_INFINITY : Float.intBitsToFloat(lo[i][r] << 16);
            }
        }
        long[][] above = new long[k][];
        for (int i = 0; i < k; i++) {
            above[i] = new long[lo[i].length];
        }
        List<ChunkedMerge.Partial> parts = ChunkedMerge.mergePartials(ta, meta, ta.prepare(meta, provisional, n), in, dtype,
                pool, threads, () -> new Bracketed(lo, hi, above, k));
        float[][] thr = new float[k][];
        for (int i = 0; i < k; i++) {
            thr[i] = new float[lo[i].length];
            for (int r = 0; r < lo[i].length; r++) {
                if (lo[i][r] < 0) {
                    thr[i][r] = Float.POSITIVE_INFINITY;
                    continue;
                }
                int[] inside = inBracket(parts, i, k, lo[i][r], hi[i][r]);
                long need = sel[i].rank(r) - above[i][r]; // the threshold's rank among the values in the bracket
                if (need >= 1 && need <= inside.length) {
                    Arrays.sort(inside);
                    thr[i][r] = Float.intBitsToFloat(inside[inside.length - (int) need]);
                } else if (need > inside.length && lo[i][r] == 0) {
                    thr[i][r] = 0f; // fewer values than the rank: keep everything, as the radix select does
                } else {
                    return false; // the sample misled: nothing written yet
                }
            }
        }
        ChunkedMerge.patchAndWrite(ch, ta, meta, parts, ta.prepare(meta, thr, n), dtype, k);
        merged.incrementAndGet();
        return true;
    }

    /** The bucket holding the value at (fractional) rank {@code rank} from the top of a histogram; the top bucket if rank < 1. */
    private static int bucketAtRank(long[] h, double rank) {
        long seen = 0;
        for (int b = h.length - 1; b >= 0; b--) {
            seen += h[b];
            if (seen >= rank && h[b] > 0) {
                return b;
            }
        }
        return 0;
    }

    /** Pass-1 style count of the high 16 bits of |model − base| (NaNs skipped). */
    private static void countHigh(int[] h, float[] m, float[] b, int len) {
        for (int j = 0; j < len; j++) {
            int bits = Float.floatToRawIntBits(m[j] - b[j]) & 0x7fffffff;
            if (bits <= 0x7f800000) {
                h[bits >>> 16]++;
            }
        }
    }

    /** The bit patterns of model i's |τ| that fall in [lo, hi] buckets, over every part's kept elements. */
    private static int[] inBracket(List<ChunkedMerge.Partial> parts, int i, int k, int lo, int hi) {
        int count = 0;
        for (ChunkedMerge.Partial p : parts) {
            count += p.positions().length;
        }
        int[] out = new int[count];
        int m = 0;
        for (ChunkedMerge.Partial p : parts) {
            float[][] v = p.values();
            for (int j = 0; j < p.positions().length; j++) {
                int bits = Float.floatToRawIntBits(v[i][j] - v[k][j]) & 0x7fffffff;
                int b = bits >>> 16;
                if (bits <= 0x7f800000 && b >= lo && b <= hi) {
                    out[m++] = bits;
                }
            }
        }
        return Arrays.copyOf(out, m);
    }

    /** The merge pass's view of one chunk: counts values above each bracket and keeps elements with a value inside one. */
    private static final class Bracketed implements ChunkedMerge.PartialObserver {
        private final int[][] lo;
        private final int[][] hi;
        private final long[][] aboveTotal;
        private final long[][] above;
        private final int k;
        private final boolean[] open = new boolean[ChunkBlocks.BLOCK];
        private int[] pos = new int[256];
        private float[][] vals;
        private int count;

        Bracketed(int[][] lo, int[][] hi, long[][] aboveTotal, int k) {
            this.lo = lo;
            this.hi = hi;
            this.aboveTotal = aboveTotal;
            this.k = k;
            this.above = new long[k][];
            for (int i = 0; i < k; i++) {
                above[i] = new long[lo[i].length];
            }
            this.vals = new float[k + 1][pos.length];
        }

        @Override
        public void block(int offset, float[] bs, List<float[]> models, int len) {
            boolean any = false;
            for (int i = 0; i < k; i++) {
                float[] m = models.get(i);
                for (int r = 0; r < lo[i].length; r++) {
                    if (lo[i][r] < 0) {
                        continue;
                    }
                    int from = lo[i][r] << 16;
                    int to = (hi[i][r] << 16) | 0xffff; // inclusive, in bit patterns of |τ|
                    long up = 0;
                    for (int j = 0; j < len; j++) {
                        int bits = Float.floatToRawIntBits(m[j] - bs[j]) & 0x7fffffff;
                        if (bits > to) {
                            if (bits <= 0x7f800000) {
                                up++;
                            }
                        } else if (bits >= from) {
                            open[j] = true;
                            any = true;
                        }
                    }
                    above[i][r] += up;
                }
            }
            if (!any) {
                return;
            }
            for (int j = 0; j < len; j++) {
                if (open[j]) {
                    open[j] = false;
                    if (count == pos.length) {
                        pos = Arrays.copyOf(pos, 2 * count);
                        for (int i = 0; i <= k; i++) {
                            vals[i] = Arrays.copyOf(vals[i], 2 * count);
                        }
                    }
                    pos[count] = offset + j;
                    vals[k][count] = bs[j];
                    for (int i = 0; i < k; i++) {
                        vals[i][count] = models.get(i)[j];
                    }
                    count++;
                }
            }
        }

        @Override
        public ChunkedMerge.Partial finish(ByteBuffer mergedBytes) {
            synchronized (aboveTotal) {
                for (int i = 0; i < k; i++) {
                    for (int r = 0; r < above[i].length; r++) {
                        aboveTotal[i][r] += above[i][r];
                    }
                }
            }
            float[][] v = new float[k + 1][];
            for (int i = 0; i <= k; i++) {
                v[i] = Arrays.copyOf(vals[i], count);
            }
            return new ChunkedMerge.Partial(mergedBytes, Arrays.copyOf(pos, count), v);
        }
    }
}
