package dev.graft.bench;

import dev.graft.io.FloatFormats;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.merge.Merger;
import dev.graft.runtime.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The streaming-merge benchmark's three steps, each run in its own JVM by bench/merge-stream.sh:
 * {@code generate} writes a base and fine-tuned checkpoints of random bf16 tensors (streamed, never held),
 * {@code read} reads every tensor of the given models through the same memory-mapped reader the merge uses and sums
 * them (the raw read throughput), {@code merge} runs a merge config. Each prints one JSON line.
 */
public final class MergeBench {
    private MergeBench() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "generate" -> generate(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]));
            case "read" -> read(Integer.parseInt(args[1]), args);
            case "merge" -> merge(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("generate | read | merge");
        }
    }

    /** Writes models/base and models/ft1..ftN: {@code tensors} bf16 tensors of [rows, cols] each. */
    static void generate(Path dir, int models, int tensors, int rows, int cols) throws IOException {
        long start = System.nanoTime();
        for (int m = 0; m <= models; m++) {
            Path md = dir.resolve(m == 0 ? "base" : "ft" + m);
            Files.createDirectories(md);
            Files.writeString(md.resolve("config.json"), "{\"model_type\":\"bench\",\"num_hidden_layers\":" + tensors + "}");
            Files.writeString(md.resolve("tokenizer.json"), "{\"bench\":true}");
            SafetensorsWriter w = new SafetensorsWriter();
            int model = m;
            for (int t = 0; t < tensors; t++) {
                int tensor = t;
                long n = (long) rows * cols;
                w.add(String.format("model.layers.%d.mlp.weight", t), DType.BF16, new long[] {rows, cols}, n * 2, ch -> {
                    int chunk = 1 << 20;
                    ByteBuffer b = ByteBuffer.allocateDirect(chunk * 2).order(ByteOrder.LITTLE_ENDIAN);
                    long baseState = 0x9E3779B97F4A7C15L * (tensor + 1);
                    long ftState = 0xD1B54A32D192ED03L * (tensor + 1) + model;
                    for (long done = 0; done < n; done += chunk) {
                        int len = (int) Math.min(chunk, n - done);
                        b.clear();
                        for (int i = 0; i < len; i++) {
                            baseState = xorshift(baseState);
                            float v = ((baseState >>> 40) / (float) (1 << 24) - 0.5f) * 0.1f;
                            if (model > 0) {
                                ftState = xorshift(ftState);
                                v += ((ftState >>> 40) / (float) (1 << 24) - 0.5f) * 0.01f;
                            }
                            b.putShort(FloatFormats.floatToBf16(v));
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                });
            }
            w.write(md.resolve("model.safetensors"));
        }
        System.out.printf(Locale.ROOT, "{\"step\":\"generate\",\"seconds\":%.1f}%n", (System.nanoTime() - start) / 1e9);
    }

    private static long xorshift(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    /** Reads every tensor of every model in 1M-element pieces on {@code threads} threads (tensors spread over them). */
    static void read(int threads, String[] args) throws Exception {
        List<SafetensorsStore> stores = new ArrayList<>();
        long bytes = 0;
        for (int i = 2; i < args.length; i++) {
            SafetensorsStore s = SafetensorsStore.open(Path.of(args[i]));
            stores.add(s);
            for (String n : s.names()) {
                bytes += s.info(n).byteSize();
            }
        }
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Double>> sums = new ArrayList<>();
        for (SafetensorsStore s : stores) {
            for (String n : s.names()) {
                sums.add(pool.submit(() -> {
                    long count = s.info(n).elementCount();
                    float[] buf = new float[1 << 20];
                    double sum = 0;
                    for (long from = 0; from < count; from += buf.length) {
                        int len = (int) Math.min(buf.length, count - from);
                        s.readFloats(n, from, buf, len);
                        for (int j = 0; j < len; j++) {
                            sum += buf[j];
                        }
                    }
                    return sum;
                }));
            }
        }
        double total = 0;
        for (Future<Double> f : sums) {
            total += f.get();
        }
        pool.shutdown();
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "{\"step\":\"read\",\"bytes\":%d,\"seconds\":%.2f,\"mb_per_s\":%.1f,\"checksum\":%.3f}%n", bytes, secs,
                bytes / secs / 1e6, total);
        stores.forEach(SafetensorsStore::close);
    }

    /**
     * Runs the merge; with -Dgraft.bench.reps=N it runs N times (deleting the output in between) and prints each run's
     * CPU seconds of this process (user and system, from /proc/self/stat), so later, JIT-warm runs can be compared.
     */
    static void merge(Path config, Path out, int threads) throws IOException {
        int reps = Integer.getInteger("graft.bench.reps", 1);
        for (int rep = 0; rep < reps; rep++) {
            deleteTree(out);
            double[] cpu0 = processCpu();
            long start = System.nanoTime();
            Merger.Result r = Merger.run(config, out, new Merger.Options(2_000_000_000L, threads, false, Progress.NONE, true));
            double secs = (System.nanoTime() - start) / 1e9;
            double[] cpu1 = processCpu();
            System.out.printf(Locale.ROOT, "{\"step\":\"merge\",\"rep\":%d,\"out_bytes\":%d,\"shards\":%d,\"seconds\":%.2f,"
                    + "\"cpu_user_s\":%.2f,\"cpu_sys_s\":%.2f}%n", rep, r.bytes(), r.shards(), secs, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]);
        }
    }

    /** This process's user and system CPU seconds so far ({0, 0} where /proc is missing). */
    private static double[] processCpu() throws IOException {
        Path stat = Path.of("/proc/self/stat");
        if (!Files.exists(stat)) {
            return new double[2];
        }
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // fields from the 3rd on; utime, stime are 14th, 15th
        return new double[] {Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0}; // USER_HZ is 100 on Linux
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
