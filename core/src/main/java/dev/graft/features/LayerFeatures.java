package dev.graft.features;

import java.util.List;

/**
 * Pooled features of one model on one text list, per layer.
 *
 * @param modelId    the model's id (a bundled id or a directory)
 * @param weightsSha256 SHA-256 of the model's weights, the cache's identity for the model
 * @param layers     [layers][texts][hidden]: index 0 the embedding output, index l transformer layer l; when only the
 *                   final representation was extracted, a single entry holding it
 * @param allLayers  whether {@code layers} covers every layer or only the final one
 */
public record LayerFeatures(String modelId, String weightsSha256, List<float[][]> layers, boolean allLayers) {
    public LayerFeatures {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers");
        }
    }

    /** The final representation (what {@code graft embed} returns): [texts][hidden]. */
    public float[][] last() {
        return layers.get(layers.size() - 1);
    }

    /** Number of texts. */
    public int size() {
        return layers.get(0).length;
    }

    /** The layer index as users count it: 0 = embeddings, 1..L = transformer layers (only with {@link #allLayers}). */
    public float[][] layer(int index) {
        if (!allLayers) {
            throw new IllegalStateException("only the final layer was extracted");
        }
        return layers.get(index);
    }

    /** Features as doubles, for the estimators: [texts][hidden]. */
    public static double[][] toDouble(float[][] f) {
        double[][] d = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            d[i] = new double[f[i].length];
            for (int j = 0; j < f[i].length; j++) {
                d[i][j] = f[i][j];
            }
        }
        return d;
    }
}
