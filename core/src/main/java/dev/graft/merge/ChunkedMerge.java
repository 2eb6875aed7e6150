package dev.graft.merge;

import dev.graft.GraftException;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * Merges one tensor of an {@link ElementWise} method in chunks of {@link TaskArithmeticMerge#CHUNK} elements, so no
 * whole tensor is ever held: each chunk of every input is mapped, converted, merged and written, then dropped. A
 * method without magnitude ranks (linear, layer swap, Fisher, task arithmetic, DARE) needs one pass; one that asks
 * for ranks (TIES, magnitude pruning, breadcrumbs) first gets its exact magnitude thresholds from a two-pass radix
 * select ({@link RadixSelect}). Each mapped chunk is walked in cache-sized blocks ({@link ChunkBlocks}). Results are
 * bit-identical to the whole-tensor path. Chunks run on the merge pool; at most 2 × threads merged chunks wait for
 * the writer ({@link OrderedWindow}).
 */
final class ChunkedMerge {
    private ChunkedMerge() {
    }

    /** The inputs of one tensor. */
    record Inputs(String name, long n, int layer, SafetensorsStore base, List<SafetensorsStore> models,
                  List<SafetensorsStore> fishers, List<Map<String, Double>> modelParams, Map<String, Double> params, long seed) {
    }

    private record Chunk(float[] base, List<float[]> models, int len) {
    }

    /** Per-thread input buffers for the task-vector passes (a chunk task finishes with them before the next starts). */
    private static final ThreadLocal<float[][]> BUFFERS = new ThreadLocal<>();

    /** Reads a chunk into this thread's reusable buffers (arrays may be longer than len). */
    private static Chunk readReused(Inputs in, long from, int len) {
        int k = in.models().size();
        float[][] bufs = BUFFERS.get();
        if (bufs == null || bufs.length != k + 1) {
            bufs = new float[k + 1][TaskArithmeticMerge.CHUNK];
            BUFFERS.set(bufs);
        }
        if (in.base() != null) {
            in.base().readFloats(in.name(), from, bufs[k], len);
        }
        List<float[]> ms = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            in.models().get(i).readFloats(in.name(), from, bufs[i], len);
            ms.add(bufs[i]);
        }
        return new Chunk(in.base() == null ? null : bufs[k], ms, len);
    }

    /** This thread's pass-1 histograms, one per model, all zero (int counts: a chunk has at most 2³¹ elements). */
    private static final ThreadLocal<int[][]> HIGH = new ThreadLocal<>();

    private static int[][] highCounts(int k) {
        int[][] h = HIGH.get();
        if (h == null || h.length < k) {
            h = new int[k][1 << 16];
            HIGH.set(h);
        }
        return h;
    }

    /** Per-thread scratch for the bit patterns of one block's task vector τ = model − base. */
    private static final class TaskBits {
        private static final ThreadLocal<TaskBits> LOCAL = ThreadLocal.withInitial(TaskBits::new);
        private final float[] delta = new float[ChunkBlocks.BLOCK];
        private final int[] bits = new int[ChunkBlocks.BLOCK];
        private final BitView view = new BitView(ChunkBlocks.BLOCK);

        /**
         * The bit patterns of m[j] − b[j] (m[j] without a base) for j in [0, len), in this thread's array: the
         * difference in a float loop and the reinterpretation in bulk, so neither loop runs scalar.
         */
        static int[] of(float[] m, float[] b, int len) {
            TaskBits s = LOCAL.get();
            if (b == null) { // task vectors over a zero base
                s.view.toBits(m, s.bits, len);
                return s.bits;
            }
            float[] d = s.delta;
            for (int j = 0; j < len; j++) {
                d[j] = m[j] - b[j];
            }
            s.view.toBits(d, s.bits, len);
            return s.bits;
        }
    }

    /** Pass 1: counts the high 16 bits of |τ| given τ's bit patterns (NaNs skipped). */
    private static void countHigh(int[] h, int[] bits, int len) {
        for (int j = 0; j < len; j++) {
            int a = bits[j] & 0x7fffffff;
            if (a <= 0x7f800000) {
                h[a >>> 16]++;
            }
        }
    }

    /** Merges and writes one tensor's bytes to {@code ch}. */
    static void write(FileChannel ch, MergeMethod method, Inputs in, DType dtype, ExecutorService pool, int threads)
            throws IOException {
        ElementWise<?> ew = method.elementWise();
        if (ew == null) {
            throw new GraftException("merge_method: " + method.name() + " cannot be merged chunk by chunk");
        }
        if (method.needsBase() && in.base() == null) {
            throw new GraftException("base_model: merge method " + method.name() + " needs a base model");
        }
        write(ch, ew, in, dtype, pool, threads);
    }

    private static <P> void write(FileChannel ch, ElementWise<P> ew, Inputs in, DType dtype, ExecutorService pool, int threads)
            throws IOException {
        int chunk = TaskArithmeticMerge.CHUNK;
        long n = in.n();
        int chunks = (int) ((n + chunk - 1) / chunk);
        int k = in.models().size();
        MergeInput meta = new MergeInput(in.name(), in.layer(), null, Arrays.asList(new float[k][]), in.modelParams(), in.params(),
                in.seed(), null);
        RadixSelect[] sel = new RadixSelect[k];
        boolean any = false;
        for (int i = 0; i < k; i++) {
            sel[i] = new RadixSelect(ew.magnitudeRanks(meta, i, n));
            any |= sel[i].needed();
        }
        if (any) {
            if (in.fishers() != null) { // the fix-up below re-merges gathered elements without their Fishers
                throw new GraftException("merge_method: a method with magnitude thresholds cannot also read Fisher files");
            }
            // pass 1: high 16 bits of |τᵢ|
            forEachChunk(pool, chunks, c -> {
                int len = (int) Math.min(chunk, n - (long) c * chunk);
                int[][] h = highCounts(k);
                try (ChunkBlocks x = new ChunkBlocks(in.base(), in.models(), null, in.name(), (long) c * chunk, len)) {
                    for (int off = 0; off < len; off += ChunkBlocks.BLOCK) {
                        int cnt = x.read(off);
                        for (int i = 0; i < k; i++) {
                            if (sel[i].needed()) {
                                countHigh(h[i], TaskBits.of(x.modelBlocks.get(i), x.baseBlock, cnt), cnt);
                            }
                        }
                    }
                }
                for (int i = 0; i < k; i++) {
                    if (sel[i].needed()) {
                        sel[i].countHigh(h[i]);
                        Arrays.fill(h[i], 0);
                    }
                }
            });
            for (RadixSelect s : sel) {
                if (s.needed()) {
                    s.finishHigh();
                }
            }
            long undecided = 0;
            for (RadixSelect x : sel) {
                for (int r = 0; r < x.size(); r++) {
                    undecided += x.needed() ? x.bucketCount(r) : 0;
                }
            }
            if (undecided <= fixupLimit) {
                writeWithFixups(ch, ew, meta, in, sel, dtype, pool, threads);
                return;
            }
            // pass 2: low 16 bits inside each rank's bucket
            forEachChunk(pool, chunks, c -> {
                int len = (int) Math.min(chunk, n - (long) c * chunk);
                Chunk x = readReused(in, (long) c * chunk, len);
                for (int i = 0; i < k; i++) {
                    if (sel[i].needed()) {
                        float[] d = delta(x.models().get(i), x.base(), len);
                        for (int r = 0; r < sel[i].size(); r++) {
                            if (sel[i].bucket(r) >= 0) {
                                sel[i].countLow(r, RadixSelect.lowHistogram(d, len, sel[i].bucket(r)));
                            }
                        }
                    }
                }
            });
        }
        P prep = ew.prepare(meta, thresholds(sel), n);
        // merge pass, written in order
        try (OrderedWindow<ByteBuffer> merged = new OrderedWindow<>(pool, chunks, 2 * threads, "graft-merge-chunks", c -> {
            long from = (long) c * chunk;
            return mergeBlocks(ew, meta, prep, in, from, (int) Math.min(chunk, n - from), dtype, null);
        })) {
            for (int c = 0; c < chunks; c++) {
                Merger.writeChunked(ch, merged.take(in.name()));
            }
        }
    }

    /** Each model's exact thresholds once the selections are complete ([models][ranks]). */
    private static float[][] thresholds(RadixSelect[] sel) {
        float[][] thr = new float[sel.length][];
        for (int i = 0; i < sel.length; i++) {
            thr[i] = sel[i].needed() ? sel[i].result() : new float[0];
        }
        return thr;
    }

    /** Most undecided elements kept for the fix-up (each costs (models + 2) × 4 bytes). */
    static volatile long fixupLimit = 4L << 20; // tests set 0 to exercise the three-pass path

    /** A merged chunk plus the elements it could not decide yet. */
    private record Partial(ByteBuffer bytes, int[] positions, float[][] values) {
    }

    /**
     * The two-pass variant for magnitude thresholds: after pass 1 every element outside a rank's boundary bucket is
     * decided, so the merge pass merges those at once (with a provisional threshold at the bucket's floor), collects
     * the low-bit histogram that makes the thresholds exact, and keeps the inputs of the few elements whose output
     * depends on a boundary-bucket value; those are recomputed with the exact thresholds and patched into the
     * merged bytes, which are then written. Inputs are read twice instead of three times and the result is
     * identical; the price is holding this tensor's merged bytes (1 × its size) until it is complete.
     */
    private static <P> void writeWithFixups(FileChannel ch, ElementWise<P> ew, MergeInput meta, Inputs in, RadixSelect[] sel,
                                            DType dtype, ExecutorService pool, int threads) throws IOException {
        long n = in.n();
        int k = in.models().size();
        float[][] provisional = new float[k][];
        for (int i = 0; i < k; i++) {
            provisional[i] = new float[sel[i].size()];
            for (int r = 0; r < sel[i].size(); r++) {
                provisional[i][r] = sel[i].bucketFloor(r);
            }
        }
        P prov = ew.prepare(meta, provisional, n);
        int chunk = TaskArithmeticMerge.CHUNK;
        int chunks = (int) ((n + chunk - 1) / chunk);
        // every chunk merged with the provisional thresholds and kept, with its undecided elements, in order
        List<Partial> parts = new ArrayList<>(chunks);
        try (OrderedWindow<Partial> merged = new OrderedWindow<>(pool, chunks, 2 * threads, "graft-merge-chunks", c -> {
            long from = (long) c * chunk;
            Undecided open = new Undecided(sel, k);
            return open.finish(mergeBlocks(ew, meta, prov, in, from, (int) Math.min(chunk, n - from), dtype, open));
        })) {
            for (int c = 0; c < chunks; c++) {
                parts.add(merged.take(in.name()));
            }
        }
        patchAndWrite(ch, ew.ranges(meta, ew.prepare(meta, thresholds(sel), n)), parts, dtype, k);
    }

    /** Recomputes each part's undecided elements with the exact thresholds, patches them in, and writes the parts. */
    private static void patchAndWrite(FileChannel ch, ElementWise.Ranges exact, List<Partial> parts, DType dtype, int k)
            throws IOException {
        int size = dtype.size();
        for (int c = 0; c < parts.size(); c++) {
            Partial part = parts.get(c);
            int[] pos = part.positions();
            if (pos.length > 0) {
                float[][] v = part.values();
                List<float[]> ms = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                    ms.add(v[i]);
                }
                float[] out = new float[pos.length];
                exact.merge(0, v[k], ms, null, pos.length, out); // element-wise once the thresholds are known
                ByteBuffer enc = Merger.encode(out, dtype);
                ByteBuffer dst = part.bytes();
                for (int p = 0; p < pos.length; p++) {
                    for (int b = 0; b < size; b++) {
                        dst.put(pos[p] * size + b, enc.get(p * size + b));
                    }
                }
            }
            Merger.writeChunked(ch, part.bytes());
            parts.set(c, null);
        }
    }

    /** Sees each block's inputs before it is merged (the fix-up pass's low-bit counts and undecided elements). */
    private interface BlockObserver {
        void block(int offset, float[] base, List<float[]> models, int len);
    }

    /**
     * Merges elements [from, from + len) of a tensor block by block (map, decode a cache-sized block of every input,
     * merge it, encode it) and returns the encoded bytes.
     */
    private static <P> ByteBuffer mergeBlocks(ElementWise<P> ew, MergeInput meta, P prep, Inputs in, long from, int len,
                                              DType dtype, BlockObserver observer) {
        ByteBuffer bytes = ByteBuffer.allocate(len * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = OUT.get();
        ElementWise.Ranges ranges = ew.ranges(meta, prep); // one per chunk: DARE's streams run across its blocks
        try (ChunkBlocks x = new ChunkBlocks(in.base(), in.models(), in.fishers(), in.name(), from, len)) {
            for (int off = 0; off < len; off += ChunkBlocks.BLOCK) {
                int cnt = x.read(off);
                if (observer != null) {
                    observer.block(off, x.baseBlock, x.modelBlocks, cnt);
                }
                ranges.merge(from + off, x.baseBlock, x.modelBlocks, x.fisherBlocks, cnt, out);
                Merger.encodeInto(out, cnt, dtype, bytes, off);
            }
        }
        return bytes;
    }

    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[ChunkBlocks.BLOCK]);

    /**
     * The fix-up pass's view of one chunk: counts the low 16 bits of every |τᵢ| in rank r's boundary bucket, and keeps
     * the inputs of every element with such a value (its output depends on where the exact threshold falls).
     */
    private static final class Undecided implements BlockObserver {
        private static final float[] ZERO = new float[ChunkBlocks.BLOCK];
        private final RadixSelect[] sel;
        private final int k;
        private final long[][][] low; // [model][rank] -> counts of the low 16 bits
        private final int[] candidate = new int[ChunkBlocks.BLOCK];
        private int[] pos = new int[256];
        private float[][] vals;
        private int count;

        Undecided(RadixSelect[] sel, int k) {
            this.sel = sel;
            this.k = k;
            this.low = new long[k][][];
            for (int i = 0; i < k; i++) {
                low[i] = new long[sel[i].needed() ? sel[i].size() : 0][];
                for (int r = 0; r < low[i].length; r++) {
                    low[i][r] = sel[i].bucket(r) >= 0 ? new long[1 << 16] : null;
                }
            }
            vals = new float[k + 1][pos.length];
        }

        @Override
        public void block(int offset, float[] baseBlock, List<float[]> models, int len) {
            float[] bs = baseBlock != null ? baseBlock : ZERO; // task vectors over a zero base
            // First a vectorised int loop per model marks the elements whose high bits match a boundary bucket (a
            // superset: NaN payloads in the +∞ bucket too); only those, a fraction of a percent, are looked at
            // element by element.
            Arrays.fill(candidate, 0, len, 0);
            boolean needed = false;
            for (int i = 0; i < k; i++) {
                int[] tb = null;
                for (int r = 0; r < low[i].length; r++) {
                    if (low[i][r] == null) {
                        continue;
                    }
                    tb = tb != null ? tb : TaskBits.of(models.get(i), baseBlock, len);
                    needed = true;
                    int b = sel[i].bucket(r);
                    for (int j = 0; j < len; j++) {
                        candidate[j] |= ((((tb[j] & 0x7fffffff) >>> 16) ^ b) - 1) >>> 31; // 1 iff the high bits are b
                    }
                }
            }
            if (!needed) {
                return;
            }
            for (int j = 0; j < len; j++) {
                if (candidate[j] != 0 && countLow(j, bs, models)) {
                    keep(offset + j, bs[j], models, j);
                }
            }
        }

        /** Counts the low bits of element j's |τᵢ| in every boundary bucket it falls in; true if it fell in one. */
        private boolean countLow(int j, float[] bs, List<float[]> models) {
            boolean hit = false;
            for (int i = 0; i < k; i++) {
                int bits = Float.floatToRawIntBits(models.get(i)[j] - bs[j]) & 0x7fffffff; // as TaskBits computes it
                for (int r = 0; r < low[i].length; r++) {
                    long[] h = low[i][r];
                    if (h != null && (bits >>> 16) == sel[i].bucket(r) && bits <= 0x7f800000) {
                        h[bits & 0xffff]++;
                        hit = true;
                    }
                }
            }
            return hit;
        }

        /** Keeps the inputs of the element at chunk position p (block index j) for the fix-up. */
        private void keep(int p, float base, List<float[]> models, int j) {
            if (count == pos.length) {
                pos = Arrays.copyOf(pos, 2 * count);
                for (int i = 0; i <= k; i++) {
                    vals[i] = Arrays.copyOf(vals[i], 2 * count);
                }
            }
            pos[count] = p;
            vals[k][count] = base;
            for (int i = 0; i < k; i++) {
                vals[i][count] = models.get(i)[j];
            }
            count++;
        }

        /** The chunk's merged bytes and its undecided elements, its low-bit counts added to the selections. */
        Partial finish(ByteBuffer mergedBytes) {
            finishCounts();
            return new Partial(mergedBytes, positions(), values());
        }

        /** Adds this chunk's low-bit counts to the selections. */
        void finishCounts() {
            for (int i = 0; i < k; i++) {
                for (int r = 0; r < low[i].length; r++) {
                    if (low[i][r] != null) {
                        sel[i].countLow(r, low[i][r]);
                    }
                }
            }
        }

        int[] positions() {
            return Arrays.copyOf(pos, count);
        }

        /** The undecided elements' inputs: [model][p], the base last. */
        float[][] values() {
            float[][] v = new float[k + 1][];
            for (int i = 0; i <= k; i++) {
                v[i] = Arrays.copyOf(vals[i], count);
            }
            return v;
        }
    }

    private static float[] delta(float[] m, float[] base, int len) {
        float[] d = new float[len];
        if (base == null) {
            System.arraycopy(m, 0, d, 0, len);
            return d;
        }
        for (int j = 0; j < len; j++) {
            d[j] = m[j] - base[j];
        }
        return d;
    }

    private interface ChunkTask {
        void run(int chunk);
    }

    /** Runs a task per chunk on the pool (as many at a time as it has threads) and waits for all of them. */
    private static void forEachChunk(ExecutorService pool, int chunks, ChunkTask task) throws IOException {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            int cc = c;
            fs.add(CompletableFuture.runAsync(() -> task.run(cc), pool));
        }
        for (CompletableFuture<Void> f : fs) {
            OrderedWindow.await(f, "chunk");
        }
    }
}
