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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;

/**
 * Merges one tensor in chunks of {@link TaskArithmeticMerge#CHUNK} elements, so no whole tensor is ever held:
 * each chunk of every input is mapped, converted, merged and written, then dropped. Element-wise methods (linear,
 * layer swap, Fisher, and the task-vector family without magnitude pruning) need one pass; TIES, magnitude pruning
 * and breadcrumbs first find their exact magnitude thresholds with a two-pass radix select ({@link RadixSelect}).
 * The task-vector methods walk each mapped chunk in cache-sized blocks ({@link ChunkBlocks}). Results are
 * bit-identical to the whole-tensor path. Chunks run on the merge pool; at most 2 × threads merged
 * chunks wait for the writer.
 */
final class ChunkedMerge {
    private ChunkedMerge() {
    }

    /** True if {@code method} can be merged chunk by chunk. */
    static boolean supports(MergeMethod method) {
        return method instanceof TaskArithmeticMerge || method instanceof LinearMerge || method instanceof LayerSwapMerge
                || method instanceof FisherMerge;
    }

    /** The inputs of one tensor. */
    record Inputs(String name, long n, int layer, SafetensorsStore base, List<SafetensorsStore> models,
                  List<SafetensorsStore> fishers, List<Map<String, Double>> modelParams, Map<String, Double> params, long seed) {
    }

    private record Chunk(float[] base, List<float[]> models, List<float[]> fishers, int len) {
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
        in.base().readFloats(in.name(), from, bufs[k], len);
        List<float[]> ms = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            in.models().get(i).readFloats(in.name(), from, bufs[i], len);
            ms.add(bufs[i]);
        }
        return new Chunk(bufs[k], ms, null, len);
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

    /** Pass 1: counts the high 16 bits of |model − base| without materialising the difference (NaNs skipped). */
    private static void countHigh(int[] h, float[] m, float[] b, int len) {
        for (int j = 0; j < len; j++) {
            int a = Float.floatToRawIntBits(m[j] - b[j]) & 0x7fffffff;
            if (a <= 0x7f800000) {
                h[a >>> 16]++;
            }
        }
    }

    private static Chunk read(Inputs in, long from, int len, boolean withFishers) {
        float[] b = null;
        if (in.base() != null) {
            b = new float[len];
            in.base().readFloats(in.name(), from, b, len);
        }
        List<float[]> ms = new ArrayList<>(in.models().size());
        for (SafetensorsStore s : in.models()) {
            float[] m = new float[len];
            s.readFloats(in.name(), from, m, len);
            ms.add(m);
        }
        List<float[]> fs = null;
        if (withFishers && in.fishers() != null) {
            fs = new ArrayList<>();
            for (SafetensorsStore f : in.fishers()) {
                if (f.names().contains(in.name())) {
                    float[] v = new float[len];
                    f.readFloats(in.name(), from, v, len);
                    fs.add(v);
                } else {
                    fs.add(null);
                }
            }
        }
        return new Chunk(b, ms, fs, len);
    }

    /** Merges and writes one tensor's bytes to {@code ch}. */
    static void write(FileChannel ch, MergeMethod method, Inputs in, DType dtype, ExecutorService pool, int threads)
            throws IOException {
        int chunk = TaskArithmeticMerge.CHUNK;
        long n = in.n();
        int chunks = (int) ((n + chunk - 1) / chunk);
        int k = in.models().size();
        MergeInput meta = new MergeInput(in.name(), in.layer(), null, Arrays.asList(new float[k][]), in.modelParams(), in.params(),
                in.seed(), null);
        TaskArithmeticMerge.Prepared prepared = null;
        if (method instanceof TaskArithmeticMerge ta) {
            if (in.base() == null) {
                throw new GraftException("base_model: merge method " + ta.name() + " needs a base model");
            }
            RadixSelect[] sel = new RadixSelect[k];
            boolean any = false;
            for (int i = 0; i < k; i++) {
                sel[i] = new RadixSelect(ta.ranks(meta, i, n));
                any |= sel[i].needed();
            }
            if (any) {
                // pass 1: high 16 bits of |τᵢ|
                forEachChunk(pool, chunks, c -> {
                    int len = (int) Math.min(chunk, n - (long) c * chunk);
                    int[][] h = highCounts(k);
                    try (ChunkBlocks x = new ChunkBlocks(in.base(), in.models(), in.name(), (long) c * chunk, len)) {
                        for (int off = 0; off < len; off += ChunkBlocks.BLOCK) {
                            int cnt = x.read(off);
                            for (int i = 0; i < k; i++) {
                                if (sel[i].needed()) {
                                    countHigh(h[i], x.modelBlocks.get(i), x.baseBlock, cnt);
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
                    writeWithFixups(ch, ta, meta, in, sel, dtype, pool, threads);
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
            float[][] thr = new float[k][];
            for (int i = 0; i < k; i++) {
                thr[i] = sel[i].needed() ? sel[i].result() : new float[0];
            }
            prepared = ta.prepare(meta, thr, n);
        }
        TaskArithmeticMerge.Prepared prep = prepared;
        boolean fisher = method instanceof FisherMerge;
        // merge pass, written in order
        List<CompletableFuture<ByteBuffer>> results = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            results.add(new CompletableFuture<>());
        }
        Semaphore window = new Semaphore(2 * threads);
        Thread producer = new Thread(() -> {
            for (int c = 0; c < chunks; c++) {
                try {
                    window.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                int cc = c;
                pool.execute(() -> {
                    try {
                        long from = (long) cc * chunk;
                        int len = (int) Math.min(chunk, n - from);
                        if (prep != null) {
                            results.get(cc).complete(mergeBlocks((TaskArithmeticMerge) method, meta, prep, in, from, len, dtype, null));
                            return;
                        }
                        Chunk x = read(in, from, len, fisher);
                        float[] out = method.merge(new MergeInput(in.name(), in.layer(), x.base(), x.models(), in.modelParams(),
                                in.params(), in.seed(), x.fishers()));
                        results.get(cc).complete(Merger.encode(out, dtype));
                    } catch (Throwable t) {
                        results.get(cc).completeExceptionally(t);
                    }
                });
            }
        }, "graft-merge-chunks");
        producer.setDaemon(true);
        producer.start();
        try {
            for (int c = 0; c < chunks; c++) {
                Merger.writeChunked(ch, get(results.get(c), in.name()));
                results.get(c).obtrudeValue(null);
                window.release();
            }
        } finally {
            producer.interrupt();
        }
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
    private static void writeWithFixups(FileChannel ch, TaskArithmeticMerge ta, MergeInput meta, Inputs in, RadixSelect[] sel,
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
        TaskArithmeticMerge.Prepared prov = ta.prepare(meta, provisional, n);
        List<Partial> parts = mergePartials(ta, meta, prov, in, sel, dtype, pool, threads);
        float[][] thr = new float[k][];
        for (int i = 0; i < k; i++) {
            thr[i] = sel[i].needed() ? sel[i].result() : new float[0];
        }
        patchAndWrite(ch, ta, meta, parts, ta.prepare(meta, thr, n), dtype, k);
    }

    /**
     * The merge pass with provisional thresholds: every chunk merged (on the pool, at most 2 × threads at a time) and
     * kept in memory with its undecided elements, in order.
     */
    private static List<Partial> mergePartials(TaskArithmeticMerge ta, MergeInput meta, TaskArithmeticMerge.Prepared prov,
                                               Inputs in, RadixSelect[] sel, DType dtype, ExecutorService pool, int threads)
            throws IOException {
        int k = in.models().size();
        int chunk = TaskArithmeticMerge.CHUNK;
        long n = in.n();
        int chunks = (int) ((n + chunk - 1) / chunk);
        List<CompletableFuture<Partial>> results = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            results.add(new CompletableFuture<>());
        }
        Semaphore window = new Semaphore(2 * threads);
        Thread producer = new Thread(() -> {
            for (int c = 0; c < chunks; c++) {
                try {
                    window.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                int cc = c;
                pool.execute(() -> {
                    try {
                        long from = (long) cc * chunk;
                        int len = (int) Math.min(chunk, n - from);
                        Undecided open = new Undecided(sel, k);
                        results.get(cc).complete(open.finish(mergeBlocks(ta, meta, prov, in, from, len, dtype, open)));
                    } catch (Throwable t) {
                        results.get(cc).completeExceptionally(t);
                    }
                });
            }
        }, "graft-merge-chunks");
        producer.setDaemon(true);
        producer.start();
        List<Partial> parts = new ArrayList<>(chunks);
        try {
            for (int c = 0; c < chunks; c++) {
                parts.add(get(results.get(c), in.name()));
                results.get(c).obtrudeValue(null);
                window.release();
            }
        } finally {
            producer.interrupt();
        }
        return parts;
    }

    /** Recomputes each part's undecided elements with the exact thresholds, patches them in, and writes the parts. */
    private static void patchAndWrite(FileChannel ch, TaskArithmeticMerge ta, MergeInput meta, List<Partial> parts,
                              TaskArithmeticMerge.Prepared exact, DType dtype, int k) throws IOException {
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
                ta.mergeRange(meta, exact, 0, v[k], ms, pos.length, out); // element-wise once the thresholds are known
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
     * Merges elements [from, from + len) of a task-vector tensor block by block (map, decode a cache-sized block of
     * every input, merge it, encode it) and returns the encoded bytes.
     */
    private static ByteBuffer mergeBlocks(TaskArithmeticMerge ta, MergeInput meta, TaskArithmeticMerge.Prepared prep, Inputs in,
                                          long from, int len, DType dtype, BlockObserver observer) {
        ByteBuffer bytes = ByteBuffer.allocate(len * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = OUT.get();
        TaskArithmeticMerge.Draws draws = new TaskArithmeticMerge.Draws(in.models().size()); // DARE's streams run across blocks
        try (ChunkBlocks x = new ChunkBlocks(in.base(), in.models(), in.name(), from, len)) {
            for (int off = 0; off < len; off += ChunkBlocks.BLOCK) {
                int cnt = x.read(off);
                if (observer != null) {
                    observer.block(off, x.baseBlock, x.modelBlocks, cnt);
                }
                ta.mergeRange(meta, prep, from + off, x.baseBlock, x.modelBlocks, cnt, out, draws);
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
        private final RadixSelect[] sel;
        private final int k;
        private final long[][][] low; // [model][rank] -> counts of the low 16 bits
        private final boolean[] open = new boolean[ChunkBlocks.BLOCK];
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
        public void block(int offset, float[] bs, List<float[]> models, int len) {
            boolean any = false;
            for (int i = 0; i < k; i++) {
                float[] m = models.get(i);
                for (int r = 0; r < low[i].length; r++) {
                    long[] h = low[i][r];
                    if (h == null) {
                        continue;
                    }
                    int b = sel[i].bucket(r);
                    for (int j = 0; j < len; j++) { // rarely true: one bucket of 2^16
                        int bits = Float.floatToRawIntBits(m[j] - bs[j]) & 0x7fffffff;
                        if ((bits >>> 16) == b && bits <= 0x7f800000) {
                            h[bits & 0xffff]++;
                            open[j] = true;
                            any = true;
                        }
                    }
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
            get(f, "chunk");
        }
    }

    private static <T> T get(CompletableFuture<T> f, String what) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("merging " + what + " failed: " + c, c);
        }
    }
}
