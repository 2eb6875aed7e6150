package dev.graft.features;

import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.InferenceEngine;
import dev.graft.model.engine.EngineChoice;
import dev.graft.model.engine.InferenceEngines;
import dev.graft.runtime.GraftHome;
import dev.graft.runtime.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts pooled features once per (model weights, texts, pooling, normalisation, max length, prefix, layers) and
 * keeps them on disk as safetensors ({@code layer.<i>} tensors of [texts, hidden], F32), so ranking the same data again
 * — with other metrics, a sample, or a team — costs no forward passes. The key hashes the texts themselves, so an
 * edited data file never reuses stale features. Files are written atomically; a corrupt one is recomputed.
 */
public final class FeatureCache {
    private static final Logger LOG = LoggerFactory.getLogger(FeatureCache.class);
    /** Part of every key: bump it whenever extraction changes what it computes, so stale entries are never reused. */
    private static final String FORMAT = "2";
    private final Path dir;
    private final boolean reuse;
    private final EngineChoice engine;

    /** The cache under {@code ~/.cache/graft/features} (or {@code $GRAFT_CACHE/features}). */
    public FeatureCache() {
        this(GraftHome.cacheDir("features"), true);
    }

    /**
     * @param reuse false: always extract (and refresh the stored copy), e.g. to time extraction
     */
    public FeatureCache(Path dir, boolean reuse) {
        this(dir, reuse, EngineChoice.PYTORCH);
    }

    private FeatureCache(Path dir, boolean reuse, EngineChoice engine) {
        this.dir = dir;
        this.reuse = reuse;
        this.engine = engine;
    }

    /**
     * This cache extracting with {@code engine} ({@code --engine}; PyTorch unless set). The engines agree within 1e-4,
     * so features cached by one are reused by the other.
     */
    public FeatureCache withEngine(EngineChoice engine) {
        return new FeatureCache(dir, reuse, engine);
    }

    public FeatureCache(Path dir) {
        this(dir, true);
    }

    public Path directory() {
        return dir;
    }

    /**
     * The features of {@code texts} under {@code model}: read from the cache, or extracted and stored.
     *
     * @param allLayers every layer (for layer selection) or only the final representation
     */
    public LayerFeatures get(EncoderModel model, List<String> texts, EmbedOptions options, boolean allLayers, Progress progress) {
        String sha = model.weightsSha256();
        Path file = dir.resolve(key(sha, texts, options, allLayers) + ".safetensors");
        if (reuse && Files.isRegularFile(file)) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                return new LayerFeatures(model.info().id(), sha, read(f), allLayers);
            } catch (RuntimeException e) {
                LOG.warn("{}: unreadable cached features ({}); extracting again", file, e.getMessage());
            }
        }
        List<float[][]> layers;
        try (InferenceEngine e = InferenceEngines.open(model, engine, options.pooling(), allLayers)) {
            Embedder embedder = new Embedder(model, options, e);
            layers = allLayers ? embedder.embedAllLayers(texts, progress) : List.<float[][]>of(embedder.embed(texts, progress));
        }
        write(file, layers);
        return new LayerFeatures(model.info().id(), sha, layers, allLayers);
    }

    private static List<float[][]> read(SafetensorsFile f) {
        List<float[][]> layers = new ArrayList<>();
        for (int l = 0; f.names().contains("layer." + l); l++) {
            long[] shape = f.shape("layer." + l);
            float[] flat = f.readFloats("layer." + l);
            int n = Math.toIntExact(shape[0]);
            int h = Math.toIntExact(shape[1]);
            float[][] rows = new float[n][h];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * h, rows[i], 0, h);
            }
            layers.add(rows);
        }
        if (layers.isEmpty()) {
            throw new GraftException(f.path() + ": no layer tensors");
        }
        return layers;
    }

    private void write(Path file, List<float[][]> layers) {
        try {
            Files.createDirectories(dir);
            SafetensorsWriter w = new SafetensorsWriter();
            for (int l = 0; l < layers.size(); l++) {
                w.addRows("layer." + l, layers.get(l));
            }
            w.write(file);
        } catch (java.io.IOException | RuntimeException e) {
            // a cache that cannot be written only costs time next run
            LOG.warn("{}: could not cache features ({})", file, e.getMessage());
        }
    }

    static String key(String weightsSha, List<String> texts, EmbedOptions o, boolean allLayers) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((FORMAT + "|" + weightsSha + "|" + o.pooling() + "|" + o.normalize() + "|" + o.maxLength() + "|" + o.prefix() + "|"
                    + allLayers + "|" + texts.size() + "\n").getBytes(StandardCharsets.UTF_8));
            for (String t : texts) {
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                md.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
