package dev.graft.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.npy.NpyWriter;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.model.EmbedOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Writes the features {@code graft rank} scores, with their labels, for use elsewhere (NumPy, LogME's reference):
 * <ul>
 *   <li>{@code .safetensors}: tensors {@code layer.<i>} [n, hidden] float32 (every layer, 0 = embeddings .. L, or one)
 *       and {@code labels} [n] int64; metadata {@code model}, {@code pooling}, {@code normalize}, {@code classes}
 *       (a JSON list of the class names, in label-index order);</li>
 *   <li>{@code .npy}: one layer [n, hidden] float32, and its labels [n] int64 in {@code <name>.labels.npy}.</li>
 * </ul>
 */
public final class FeatureFileWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LayerFeatures features;
    private final LabelledTexts texts;
    private final EmbedOptions options;
    private boolean allLayers;
    private Integer layer;

    private FeatureFileWriter(LayerFeatures features, LabelledTexts texts, EmbedOptions options) {
        this.features = Objects.requireNonNull(features, "features");
        this.texts = Objects.requireNonNull(texts, "texts");
        this.options = Objects.requireNonNull(options, "options");
        if (features.size() != texts.size()) {
            throw new GraftException("features: " + features.size() + " rows for " + texts.size() + " texts; expected one row per text");
        }
    }

    /**
     * @param features the texts' features, as {@link FeatureCache#get} extracted them with {@code options}
     * @param texts    the texts and their labels
     * @param options  how the features were pooled (recorded in safetensors metadata)
     */
    public static FeatureFileWriter of(LayerFeatures features, LabelledTexts texts, EmbedOptions options) {
        return new FeatureFileWriter(features, texts, options);
    }

    /** Every layer (safetensors only); default just one. */
    public FeatureFileWriter allLayers(boolean every) {
        this.allLayers = every;
        return this;
    }

    /** Which one layer to write (0 = embeddings .. L); null, the default, = the final representation. */
    public FeatureFileWriter layer(Integer index) {
        this.layer = index;
        return this;
    }

    /**
     * Checks that {@code output} names a format this writer knows, before features are extracted for it.
     *
     * @return {@code "safetensors"} or {@code "npy"}
     * @throws GraftException for any other extension
     */
    public static String format(Path output) {
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (!ext.equals("npy") && !ext.equals("safetensors")) {
            throw new GraftException(output + ": unsupported output type '." + ext + "'; expected .safetensors or .npy");
        }
        return ext;
    }

    /**
     * Writes the file (and, for .npy, the labels beside it).
     *
     * @throws GraftException for an unknown extension or a layer out of range
     */
    public void write(Path output) {
        String format = format(output);
        if (layer != null && (layer < 0 || layer >= features.layers().size())) {
            throw new GraftException("--layer must be between 0 and " + (features.layers().size() - 1) + ", got " + layer);
        }
        long[] labels = new long[texts.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = texts.labels()[i];
        }
        try {
            if (format.equals("npy")) {
                writeNpy(output, labels);
            } else {
                writeSafetensors(output, labels);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private float[][] oneLayer() {
        return layer == null ? features.last() : features.layer(layer);
    }

    private void writeNpy(Path output, long[] labels) throws IOException {
        NpyWriter.writeFloat32(output, oneLayer());
        String name = output.getFileName().toString();
        NpyWriter.writeInt64(output.resolveSibling(name.substring(0, name.length() - ".npy".length()) + ".labels.npy"), labels);
    }

    private void writeSafetensors(Path output, long[] labels) throws JsonProcessingException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("model", features.modelId())
                .metadata("pooling", options.pooling().cliName()).metadata("normalize", Boolean.toString(options.normalize()))
                .metadata("classes", JSON.writeValueAsString(texts.classNames()));
        if (allLayers) {
            List<float[][]> all = features.layers();
            for (int l = 0; l < all.size(); l++) {
                w.addRows("layer." + l, all.get(l));
            }
        } else {
            w.addRows("layer." + (layer == null ? features.layers().size() - 1 : layer), oneLayer());
        }
        w.addLongs("labels", new long[] {labels.length}, labels);
        w.write(output);
    }
}
