package dev.graft.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicDirectory;
import dev.graft.io.AtomicFiles;
import dev.graft.io.FloatFormats;
import dev.graft.io.Provenance;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.io.safetensors.TensorInfo;
import dev.graft.runtime.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs a {@link MergeConfig}: a streaming model merge (or, when every input is a LoRA adapter, an adapter merge via
 * {@link AdapterMerger}).
 *
 * <p>Model merges read each tensor lazily from every input's memory-mapped safetensors, merge it on a thread pool,
 * and write it as soon as it is done into the output shards, in name order. At most {@code 2 × threads} merged
 * tensors wait for the writer and {@code threads} tensors are being merged, so peak memory is
 * O(threads × (models + 2) × largest tensor), independent of the model's size. The output is a standard HF
 * directory (config.json and tokenizer files copied from the reference model, {@code model.safetensors} or
 * {@code model-0000i-of-0000n.safetensors} plus {@code model.safetensors.index.json}), {@code graft_provenance.json},
 * {@code graft_merge_config.yml} (the resolved config) and {@code heads/} (each model's task head). It is written into
 * a temporary folder beside the target and renamed into place at the end.
 */
public final class Merger {
    /** The resolved config's file name. */
    public static final String CONFIG_FILE = "graft_merge_config.yml";
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layer|layers|h|blocks|block)\\.(\\d+)\\.");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How to run.
     *
     * @param shardBytes  largest output shard in bytes (a single tensor may exceed it)
     * @param threads     merge threads (≥ 1)
     * @param hashInputs  record every input file's SHA-256 in the provenance (reads the inputs once more)
     * @param progress    progress receiver (units: bytes written)
     * @param chunked     merge element-wise and magnitude-pruned methods chunk by chunk (bounded memory; the
     *                    default); false holds whole tensors (the reference path, kept for tests)
     */
    public record Options(long shardBytes, int threads, boolean hashInputs, Progress progress, boolean chunked) {
        public Options(long shardBytes, int threads, boolean hashInputs, Progress progress) {
            this(shardBytes, threads, hashInputs, progress, true);
        }

        public Options {
            if (shardBytes <= 0 || threads <= 0) {
                throw new GraftException("--out-shard-size and --threads must be positive");
            }
        }

        public static Options defaults() {
            return new Options(5L << 30, Math.max(1, Runtime.getRuntime().availableProcessors()), true, Progress.NONE);
        }
    }

    /** What was written. */
    public record Result(Path output, int tensors, long bytes, int shards, String kind) {
    }

    private Merger() {
    }

    /** Loads the YAML and runs it; relative paths in it are resolved against its folder. */
    public static Result run(Path configFile, Path output, Options options) {
        MergeConfig cfg = MergeConfig.load(configFile);
        return run(cfg, configFile.toAbsolutePath().getParent(), output, options);
    }

    /** Runs a config whose relative paths are resolved against {@code root}. */
    public static Result run(MergeConfig cfg, Path root, Path output, Options options) {
        MergeConfig resolved = resolvePaths(cfg, root);
        Path target = AtomicDirectory.checkTarget(output);
        boolean adapters = resolved.models().stream().allMatch(m -> m.adapter() == null && LoraAdapter.isAdapter(Path.of(m.model())));
        if (MergeConfig.PEFT_METHODS.contains(resolved.method()) && !adapters) {
            throw new GraftException("merge_method " + resolved.method() + " combines LoRA adapters; every model must be a PEFT"
                    + " LoRA adapter directory");
        }
        Result r = AtomicDirectory.write(target, tmp -> {
            Result written = adapters ? AdapterMerger.run(resolved, tmp, options) : mergeModels(resolved, tmp, options);
            writeText(tmp.resolve(CONFIG_FILE), resolved.toYaml());
            return written;
        });
        return new Result(target, r.tensors(), r.bytes(), r.shards(), r.kind());
    }

    private static MergeConfig resolvePaths(MergeConfig cfg, Path root) {
        List<MergeConfig.ModelEntry> ms = new ArrayList<>();
        for (MergeConfig.ModelEntry e : cfg.models()) {
            ms.add(new MergeConfig.ModelEntry(abs(root, e.model()), e.adapter() == null ? null : abs(root, e.adapter()),
                    e.fisher() == null ? null : abs(root, e.fisher()), e.parameters()));
        }
        return new MergeConfig(ms, cfg.baseModel() == null ? null : abs(root, cfg.baseModel()), cfg.method(), cfg.parameters(),
                cfg.dtype(), cfg.seed(), cfg.heads());
    }

    private static String abs(Path root, String p) {
        return root.resolve(p).toAbsolutePath().normalize().toString();
    }

    /** The layer index in a tensor name ({@code encoder.layer.3.}, {@code model.layers.3.}, {@code h.3.}), or -1. */
    public static int layerOf(String tensor) {
        Matcher m = LAYER.matcher(tensor);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static Result mergeModels(MergeConfig cfg, Path out, Options options) {
        MergeMethod method = MergeMethods.byName(cfg.method());
        List<ModelSource> models = new ArrayList<>();
        ModelSource base = null;
        List<SafetensorsStore> fishers = new ArrayList<>();
        if (method.needsBase() && cfg.baseModel() == null) {
            throw new GraftException("base_model: merge method " + method.name() + " needs a base model (task vectors are"
                    + " differences from it); only LoRA adapters merge without one");
        }
        try {
            if (cfg.baseModel() != null) {
                base = new ModelSource(cfg.baseModel(), Path.of(cfg.baseModel()), null);
            }
            for (MergeConfig.ModelEntry e : cfg.models()) {
                models.add(new ModelSource(e.spec(), Path.of(e.model()), e.adapter() == null ? null : Path.of(e.adapter())));
                if (method.needsFishers()) {
                    fishers.add(SafetensorsStore.open(Path.of(e.fisher())));
                }
            }
            ModelSource ref = base != null ? base : models.get(0);
            List<ModelSource> all = new ArrayList<>(models);
            if (base != null) {
                all.add(0, base);
            }
            Compatibility.check(ref, all, cfg.heads());
            List<String> names = new ArrayList<>(Compatibility.merged(ref.names(), cfg.heads()));
            names.sort(Comparator.naturalOrder()); // the writer's order
            int layers = ref.config.path("num_hidden_layers").asInt(-1);
            if (layers <= 0) {
                layers = names.stream().mapToInt(Merger::layerOf).max().orElse(-1) + 1;
            }
            DType forced = cfg.dtype() == null ? null : switch (cfg.dtype()) {
                case "float16" -> DType.F16;
                case "bfloat16" -> DType.BF16;
                default -> DType.F32;
            };
            // plan the shards
            List<Planned> plan = new ArrayList<>();
            for (String n : names) {
                TensorInfo info = ref.info(n);
                boolean isFloat = ModelSource.isFloat(info.dtype());
                DType dt = !isFloat ? info.dtype() : forced != null ? forced : info.dtype() == DType.F64 ? DType.F32 : info.dtype();
                plan.add(new Planned(n, info.shape(), dt, isFloat, info.elementCount() * dt.size()));
            }
            List<List<Planned>> shards = new ArrayList<>();
            long size = 0;
            for (Planned p : plan) {
                if (shards.isEmpty() || (size + p.bytes > options.shardBytes() && size > 0)) {
                    shards.add(new ArrayList<>());
                    size = 0;
                }
                shards.get(shards.size() - 1).add(p);
                size += p.bytes;
            }
            long total = plan.stream().mapToLong(p -> p.bytes).sum();
            options.progress().start("merging", total);
            ModelSource refFinal = ref;
            ModelSource baseFinal = base;
            int layersFinal = layers;
            Map<String, String> weightMap = new TreeMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r -> {
                Thread t = new Thread(r, "graft-merge");
                t.setDaemon(true);
                return t;
            });
            try {
                for (int s = 0; s < shards.size(); s++) {
                    String file = shards.size() == 1 ? SafetensorsStore.SINGLE
                            : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
                    writeShard(out.resolve(file), shards.get(s), pool, options, p -> {
                        if (!p.isFloat) {
                            ByteBuffer src = refFinal.store.buffer(p.name);
                            ByteBuffer copy = ByteBuffer.allocate(src.remaining());
                            copy.put(src).flip();
                            return copy;
                        }
                        int layer = layerOf(p.name);
                        List<float[]> inputs = new ArrayList<>();
                        List<Map<String, Double>> mp = new ArrayList<>();
                        List<float[]> fs = method.needsFishers() ? new ArrayList<>() : null;
                        for (int i = 0; i < models.size(); i++) {
                            inputs.add(models.get(i).read(p.name));
                            mp.add(MergeConfig.resolve(cfg.models().get(i).parameters(), p.name, layer, layersFinal));
                            if (fs != null) {
                                SafetensorsStore f = fishers.get(i);
                                fs.add(f.names().contains(p.name) ? f.readFloats(p.name) : null);
                            }
                        }
                        float[] b = baseFinal == null ? null : baseFinal.read(p.name);
                        MergeInput in = new MergeInput(p.name, layer, b, inputs, mp,
                                MergeConfig.resolve(cfg.parameters(), p.name, layer, layersFinal), cfg.seed(), fs);
                        return encode(method.merge(in), p.dtype);
                    }, new Streamer() {
                        @Override
                        public boolean handles(Planned p) {
                            if (!p.isFloat || !options.chunked() || method.elementWise() == null) {
                                return false;
                            }
                            for (ModelSource m : all) {
                                if (m.folds(p.name)) {
                                    return false;
                                }
                            }
                            return true;
                        }

                        @Override
                        public void write(FileChannel ch, Planned p) throws IOException {
                            int layer = layerOf(p.name);
                            List<Map<String, Double>> mp = new ArrayList<>();
                            List<SafetensorsStore> stores = new ArrayList<>();
                            for (int i = 0; i < models.size(); i++) {
                                mp.add(MergeConfig.resolve(cfg.models().get(i).parameters(), p.name, layer, layersFinal));
                                stores.add(models.get(i).store);
                            }
                            long n = 1;
                            for (long d : p.shape) {
                                n *= d;
                            }
                            ChunkedMerge.write(ch, method, new ChunkedMerge.Inputs(p.name, n, layer,
                                    baseFinal == null ? null : baseFinal.store, stores, method.needsFishers() ? fishers : null, mp,
                                    MergeConfig.resolve(cfg.parameters(), p.name, layer, layersFinal), cfg.seed()), p.dtype, pool,
                                    options.threads());
                        }
                    });
                    for (Planned p : shards.get(s)) {
                        weightMap.put(p.name, file);
                    }
                }
            } finally {
                pool.shutdownNow();
                options.progress().finish();
            }
            if (shards.size() > 1) {
                ObjectNode idx = JSON.createObjectNode();
                idx.putObject("metadata").put("total_size", total);
                ObjectNode wm = idx.putObject("weight_map");
                weightMap.forEach(wm::put);
                writeText(out.resolve(SafetensorsStore.INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(idx));
            }
            copySideFiles(ref.dir, out);
            MergedHeads.write(cfg, models, out);
            Map<String, Path> inputs = new LinkedHashMap<>();
            if (options.hashInputs()) {
                for (int i = 0; i < all.size(); i++) {
                    String role = base != null && i == 0 ? "base" : "model" + (base != null ? i - 1 : i);
                    for (Path f : all.get(i).store.files()) {
                        inputs.put(role + ":" + f.getFileName(), f);
                    }
                    if (all.get(i).adapter != null) {
                        inputs.put(role + ":adapter", all.get(i).adapter.dir().resolve("adapter_model.safetensors"));
                    }
                }
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("merge", new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(cfg.toYaml()));
            config.put("method_reference", method.reference());
            config.put("out_shard_bytes", options.shardBytes());
            config.put("threads", options.threads());
            Provenance.write(out, Provenance.create("merged-model", ref.spec, null, inputs, config, cfg.seed(),
                    Map.of("tensors", plan.size(), "bytes", total)));
            return new Result(out, plan.size(), total, shards.size(), "model");
        } catch (IOException e) {
            throw new GraftException(out + ": cannot write (" + e.getMessage() + ")", e);
        } finally {
            for (ModelSource m : models) {
                m.close();
            }
            if (base != null) {
                base.close();
            }
            fishers.forEach(SafetensorsStore::close);
        }
    }

    private record Planned(String name, long[] shape, DType dtype, boolean isFloat, long bytes) {
    }

    @FunctionalInterface
    private interface Compute {
        ByteBuffer apply(Planned p) throws Exception;
    }

    /** Tensors merged chunk by chunk straight into the file (see {@link ChunkedMerge}). */
    private interface Streamer {
        boolean handles(Planned p);

        void write(FileChannel ch, Planned p) throws IOException;
    }

    private static final ByteBuffer STREAMED = ByteBuffer.allocate(0);

    /**
     * Writes one shard: merges run in order on the pool with at most 2 × threads results waiting
     * ({@link OrderedWindow}), and the writer streams each result to the file as soon as its turn comes.
     */
    private static void writeShard(Path file, List<Planned> tensors, ExecutorService pool, Options options, Compute compute,
                                   Streamer streamer) {
        try (OrderedWindow<ByteBuffer> merged = new OrderedWindow<>(pool, tensors.size(), 2 * options.threads(), "graft-merge-submit",
                i -> streamer.handles(tensors.get(i)) ? STREAMED : compute.apply(tensors.get(i)))) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("graft", "merge");
            for (Planned p : tensors) {
                w.add(p.name, p.dtype, p.shape, p.bytes, ch -> {
                    ByteBuffer b = merged.take(p.name);
                    if (b == STREAMED) {
                        streamer.write(ch, p);
                    } else {
                        writeChunked(ch, b);
                    }
                    options.progress().advance(p.bytes);
                });
            }
            w.write(file);
        }
    }

    /** Writes in 1 MiB slices so the JDK's per-thread temporary direct buffer stays small. */
    static void writeChunked(FileChannel ch, ByteBuffer b) throws IOException {
        int chunk = 1 << 20;
        while (b.hasRemaining()) {
            ByteBuffer s = b.slice();
            s.limit(Math.min(chunk, s.remaining()));
            int wrote = 0;
            while (s.hasRemaining()) {
                wrote += ch.write(s);
            }
            b.position(b.position() + wrote);
        }
    }

    /** Float values in a safetensors dtype, little-endian. */
    static ByteBuffer encode(float[] v, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(v.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(v);
            case F16 -> {
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) {
                    h[i] = FloatFormats.floatToHalf(v[i]);
                }
                b.asShortBuffer().put(h);
            }
            case BF16 -> {
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) {
                    h[i] = FloatFormats.floatToBf16(v[i]);
                }
                b.asShortBuffer().put(h);
            }
            default -> throw new GraftException("cannot store merged floats as " + dtype);
        }
        b.position(0).limit(v.length * dtype.size());
        return b;
    }

    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[0]);

    /** Encodes v[0..n) in a safetensors dtype into {@code dst} (little-endian) from element {@code index} on. */
    static void encodeInto(float[] v, int n, DType dtype, ByteBuffer dst, int index) {
        switch (dtype) {
            case F32 -> dst.asFloatBuffer().put(index, v, 0, n);
            case F16, BF16 -> {
                short[] h = HALVES.get();
                if (h.length < n) {
                    h = new short[n];
                    HALVES.set(h);
                }
                if (dtype == DType.F16) {
                    for (int i = 0; i < n; i++) {
                        h[i] = FloatFormats.floatToHalf(v[i]);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        h[i] = FloatFormats.floatToBf16(v[i]);
                    }
                }
                dst.asShortBuffer().put(index, h, 0, n);
            }
            default -> throw new GraftException("cannot store merged floats as " + dtype);
        }
    }

    /** config.json, tokenizer and sentence-transformers files of the reference model. */
    static void copySideFiles(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.endsWith(".safetensors") && !name.equals(SafetensorsStore.INDEX)
                        && !name.endsWith(".bin") && !name.endsWith(".pt") && !name.equals(Provenance.FILE)
                        && !name.equals(CONFIG_FILE) && !name.startsWith(".")) {
                    Files.copy(p, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } else if (Files.isDirectory(p) && name.matches("\\d+_\\w+")) {
                    Files.createDirectories(to.resolve(name));
                    try (Stream<Path> inner = Files.list(p)) {
                        for (Path q : inner.filter(Files::isRegularFile).toList()) {
                            Files.copy(q, to.resolve(name).resolve(q.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
        }
    }

    static void writeText(Path file, String text) {
        try {
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new GraftException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}
