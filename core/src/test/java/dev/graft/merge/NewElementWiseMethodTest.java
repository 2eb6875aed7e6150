package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Methods defined here, unknown to the executor, are streamed chunk by chunk only because they declare
 * {@link MergeMethod#elementWise()}: the executor never hands them more than a block, and the result equals their
 * whole-tensor merge.
 */
class NewElementWiseMethodTest {
    @TempDir
    Path tmp;

    /** θ = base + the largest-magnitude task-vector element among the models (a made-up element-wise method). */
    static final class MaxDelta implements MergeMethod {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger longest = new AtomicInteger();

        @Override
        public String name() {
            return "max_delta";
        }

        @Override
        public String reference() {
            return "a test method";
        }

        @Override
        public boolean needsBase() {
            return true;
        }

        @Override
        public Set<String> modelParameters() {
            return Set.of();
        }

        @Override
        public Set<String> globalParameters() {
            return Set.of();
        }

        @Override
        public ElementWise<?> elementWise() {
            return ElementWise.of(this);
        }

        @Override
        public float[] merge(MergeInput in) {
            calls.incrementAndGet();
            longest.accumulateAndGet(in.size(), Math::max);
            float[] out = new float[in.size()];
            for (int j = 0; j < out.length; j++) {
                float best = 0;
                for (float[] m : in.models()) {
                    float d = m[j] - in.base()[j];
                    best = Math.abs(d) > Math.abs(best) ? d : best;
                }
                out[j] = in.base()[j] + best;
            }
            return out;
        }
    }

    /**
     * Keeps each model's task vector above its median magnitude and averages them: a method with a whole-tensor
     * preparation (one magnitude rank per model) that the executor finds by its radix select.
     */
    static final class AboveMedian implements MergeMethod, ElementWise<float[]> {
        @Override
        public String name() {
            return "above_median";
        }

        @Override
        public String reference() {
            return "a test method";
        }

        @Override
        public boolean needsBase() {
            return true;
        }

        @Override
        public Set<String> modelParameters() {
            return Set.of();
        }

        @Override
        public Set<String> globalParameters() {
            return Set.of();
        }

        @Override
        public ElementWise<?> elementWise() {
            return this;
        }

        @Override
        public long[] magnitudeRanks(MergeInput meta, int model, long n) {
            return new long[] {n / 2};
        }

        @Override
        public float[] prepare(MergeInput meta, float[][] thresholds, long n) {
            float[] t = new float[thresholds.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = thresholds[i][0];
            }
            return t;
        }

        @Override
        public Ranges ranges(MergeInput meta, float[] thr) {
            return (start, base, models, fishers, len, out) -> {
                for (int j = 0; j < len; j++) {
                    double s = 0;
                    for (int i = 0; i < models.size(); i++) {
                        float d = models.get(i)[j] - base[j];
                        s += Math.abs(d) >= thr[i] ? d : 0;
                    }
                    out[j] = (float) (base[j] + s / models.size());
                }
            };
        }

        @Override
        public float[] merge(MergeInput in) {
            float[][] thr = new float[in.count()][1];
            for (int i = 0; i < in.count(); i++) {
                thr[i][0] = TaskVectors.kthLargestMagnitude(TaskVectors.delta(in.models().get(i), in.base()), in.size() / 2);
            }
            float[] out = new float[in.size()];
            ranges(in, prepare(in, thr, in.size())).merge(0, in.base(), in.models(), null, in.size(), out);
            return out;
        }
    }

    private float[] streamed(MergeMethod method, SafetensorsStore base, List<SafetensorsStore> models, int n) throws Exception {
        return streamed(method, base, models, null, n);
    }

    private float[] streamed(MergeMethod method, SafetensorsStore base, List<SafetensorsStore> models, List<SafetensorsStore> fishers,
                             int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Path out = tmp.resolve(method.name() + ".bin");
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            List<Map<String, Double>> mp = new ArrayList<>();
            models.forEach(m -> mp.add(Map.of()));
            ChunkedMerge.write(ch, method, new ChunkedMerge.Inputs("w", n, 0, base, models, fishers, mp, Map.of(), 1), DType.F32, pool, 2);
            ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            float[] v = new float[n];
            b.flip().asFloatBuffer().get(v);
            return v;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNewElementWiseMethodIsStreamedWithoutExecutorChanges() throws Exception {
        int n = TaskArithmeticMerge.CHUNK + 12_345; // two chunks, the last one partial
        Random r = new Random(3);
        float[][] v = new float[3][n];
        for (float[] x : v) {
            for (int j = 0; j < n; j++) {
                x[j] = (float) r.nextGaussian();
            }
        }
        List<SafetensorsStore> stores = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path f = tmp.resolve("m" + i + ".safetensors");
            new SafetensorsWriter().addFloats("w", new long[] {n}, v[i]).write(f);
            stores.add(SafetensorsStore.open(f));
        }
        try {
            MergeInput whole = new MergeInput("w", 0, v[0], List.of(v[1], v[2]), List.of(Map.of(), Map.of()), Map.of(), 1, null);
            MaxDelta max = new MaxDelta();
            float[] want = max.merge(whole);
            max.calls.set(0);
            max.longest.set(0);
            assertArrayEquals(want, streamed(max, stores.get(0), stores.subList(1, 3), n), 0f);
            assertTrue(max.longest.get() <= ChunkBlocks.BLOCK, "merged at most a block at a time, saw " + max.longest.get());
            assertEquals((n + ChunkBlocks.BLOCK - 1) / ChunkBlocks.BLOCK, max.calls.get(), "one call per block");

            AboveMedian median = new AboveMedian();
            assertArrayEquals(median.merge(whole), streamed(median, stores.get(0), stores.subList(1, 3), n), 0f,
                    "thresholds found by the executor's radix select");
        } finally {
            stores.forEach(SafetensorsStore::close);
        }
    }

    @Test
    void fisherIsStreamedWithItsFisherBlocks() throws Exception {
        int n = TaskArithmeticMerge.CHUNK + 999;
        Random r = new Random(4);
        float[][] v = new float[3][n]; // two models and one model's Fisher
        for (float[] x : v) {
            for (int j = 0; j < n; j++) {
                x[j] = (float) Math.abs(r.nextGaussian());
            }
        }
        Path a = tmp.resolve("a.safetensors");
        Path b = tmp.resolve("b.safetensors");
        Path fa = tmp.resolve("fa.safetensors");
        Path fb = tmp.resolve("fb.safetensors");
        new SafetensorsWriter().addFloats("w", new long[] {n}, v[0]).write(a);
        new SafetensorsWriter().addFloats("w", new long[] {n}, v[1]).write(b);
        new SafetensorsWriter().addFloats("w", new long[] {n}, v[2]).write(fa);
        new SafetensorsWriter().addFloats("other", new long[] {1}, new float[] {1}).write(fb); // b has no Fisher for w: 0
        List<SafetensorsStore> stores = List.of(SafetensorsStore.open(a), SafetensorsStore.open(b), SafetensorsStore.open(fa),
                SafetensorsStore.open(fb));
        try {
            List<float[]> fs = new ArrayList<>();
            fs.add(v[2]);
            fs.add(null);
            float[] want = new FisherMerge().merge(new MergeInput("w", 0, null, List.of(v[0], v[1]), List.of(Map.of(), Map.of()),
                    Map.of(), 1, fs));
            assertArrayEquals(want, streamed(new FisherMerge(), null, stores.subList(0, 2), stores.subList(2, 4), n), 0f);
        } finally {
            stores.forEach(SafetensorsStore::close);
        }
    }
}
