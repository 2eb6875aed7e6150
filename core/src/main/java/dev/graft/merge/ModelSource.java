package dev.graft.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.TensorInfo;
import dev.graft.peft.RecordedBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One input of a model merge: a HF model directory read lazily through its memory-mapped (possibly sharded)
 * safetensors, optionally with a LoRA adapter folded in on read ({@code model+adapter}: W + scale·B·A).
 */
final class ModelSource implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final String spec;
    final Path dir;
    final SafetensorsStore store;
    final LoraAdapter adapter;
    final JsonNode config;
    private final Map<String, String> foldedModules = new HashMap<>(); // model tensor -> adapter module

    ModelSource(String spec, Path dir, Path adapterDir) {
        this.spec = spec;
        this.dir = dir;
        if (!Files.isDirectory(dir)) {
            throw new GraftException(spec + ": model directory " + dir + " does not exist");
        }
        if (LoraAdapter.isAdapter(dir)) {
            throw new GraftException(spec + ": " + dir + " is an adapter, not a model; write it as MODEL+" + dir
                    + " to apply it to its base, or merge only adapters");
        }
        Path cfg = dir.resolve("config.json");
        try {
            this.config = Files.isRegularFile(cfg) ? JSON.readTree(cfg.toFile()) : JSON.createObjectNode();
        } catch (IOException e) {
            throw new GraftException(cfg + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        this.store = SafetensorsStore.open(dir);
        LoraAdapter a = null;
        if (adapterDir != null) {
            try {
                // an adapter folded into a model it was not trained on: warn, or refuse under --strict
                RecordedBase.check(adapterDir, dir.toString(), null, this::weightsSha256, RecordedBase.defaultPolicy());
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            a = LoraAdapter.open(adapterDir);
            for (String m : a.modules()) {
                String t = LoraAdapter.targetTensor(m, store.names());
                if (t == null) {
                    a.close();
                    store.close();
                    throw new GraftException(adapterDir + ": adapted module '" + m + "' has no weight tensor in " + dir);
                }
                foldedModules.put(t, m);
            }
        }
        this.adapter = a;
    }

    /** True if an adapter is folded into this tensor on read. */
    boolean folds(String name) {
        return foldedModules.containsKey(name);
    }

    Set<String> names() {
        return store.names();
    }

    TensorInfo info(String name) {
        return store.info(name);
    }

    /** The tensor as float32, with the adapter's delta added if it adapts this tensor. */
    float[] read(String name) {
        float[] w = store.readFloats(name);
        String module = foldedModules.get(name);
        if (module != null) {
            float[] d = adapter.delta(module);
            if (d.length != w.length) {
                throw new GraftException(adapter.dir() + ": delta of '" + module + "' has " + d.length + " values but "
                        + name + " has " + w.length);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] += d[i];
            }
        }
        return w;
    }

    static boolean isFloat(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16 || t == DType.F64;
    }

    /** SHA-256 of the weight files, as {@code EncoderModel#weightsSha256} computes it (shards: of their hashes). */
    private String weightsSha256() {
        java.util.List<Path> files = store.files();
        if (files.size() == 1) {
            return Provenance.sha256(files.get(0));
        }
        StringBuilder all = new StringBuilder();
        files.forEach(f -> all.append(Provenance.sha256(f)));
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(all.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of tokenizer.json, or null when there is none. */
    String tokenizerSha() {
        Path t = dir.resolve("tokenizer.json");
        return Files.isRegularFile(t) ? Provenance.sha256(t) : null;
    }

    @Override
    public void close() {
        store.close();
        if (adapter != null) {
            adapter.close();
        }
    }
}
