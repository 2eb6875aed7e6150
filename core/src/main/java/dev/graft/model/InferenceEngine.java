package dev.graft.model;

import java.util.List;

/**
 * Runs a frozen encoder on padded token batches and pools what it returns: the one interface that embedding,
 * prediction on a frozen encoder, feature extraction and ranking use. Implemented on PyTorch ({@link PytorchEngine},
 * the model's own weights) and on ONNX Runtime ({@code dev.graft.model.engine.OrtEngine}, an ONNX graph of the same
 * weights); {@code dev.graft.model.engine.InferenceEngines} picks one. Training always runs on PyTorch.
 *
 * <p>Shapes: B batch, T tokens, H hidden size, L transformer layers. Engines are not thread-safe; use one per thread.
 */
public interface InferenceEngine extends AutoCloseable {
    /** {@code pytorch} or {@code onnxruntime}, as {@code --engine} spells it. */
    String name();

    /** Whether {@link #embed} can pool this way ({@link Pooling#POOLER} needs the model's pooler output). */
    boolean supports(Pooling pooling);

    /** Whether {@link #embedAllLayers} is available (every layer's hidden state). */
    boolean supportsAllLayers();

    /**
     * Pooled sentence vectors of the last layer.
     *
     * @param batch     [B, T] padded inputs
     * @param normalize L2-normalise each vector
     * @return [B][H]
     */
    float[][] embed(TokenIds batch, Pooling pooling, boolean normalize);

    /**
     * Pooled vectors of every layer: index 0 the embedding layer's output, index {@code l} transformer layer
     * {@code l}'s output; each layer pooled as {@link #layerPooling} says.
     *
     * @return [L + 1][B][H]
     * @throws dev.graft.GraftException if {@link #supportsAllLayers()} is false
     */
    List<float[][]> embedAllLayers(TokenIds batch, Pooling pooling, boolean normalize);

    /**
     * How layer {@code layer} of {@code layers + 1} is pooled when {@code pooling} is asked for: the pooler was trained
     * on the last layer only, so the other layers use their CLS vector; the embedding layer (0) is always mean-pooled,
     * since before any attention its CLS vector is the same for every text.
     */
    static Pooling layerPooling(Pooling pooling, int layer, int layers) {
        Pooling p = pooling == Pooling.POOLER && layer != layers ? Pooling.CLS : pooling;
        return layer == 0 && p == Pooling.CLS ? Pooling.MEAN : p;
    }

    /** Frees what the engine holds (an ONNX Runtime session; nothing for PyTorch, whose weights the model owns). */
    @Override
    void close();
}
