package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.graft.model.nn.HfModule;
import java.util.Map;

/**
 * A transformer encoder network of any registered architecture, with parameters named as in HF checkpoints.
 * Shapes: B = batch, T = sequence length, H = hidden size.
 */
public interface Encoder {
    /**
     * Runs the encoder.
     *
     * @param inputIds       [B, T] int64 token ids
     * @param attentionMask  [B, T] int64, 1 for real tokens and 0 for padding
     * @param tokenTypeIds   [B, T] int64 segment ids (0 for single texts), or null for all zeros
     * @param training       apply dropout (and record for gradients when inside a gradient collector)
     * @param allHiddenStates also return the input to every layer and every layer's output
     */
    EncoderOutput encode(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
                         boolean allHiddenStates);

    /** Every parameter by its HF name, e.g. {@code encoder.layer.0.attention.self.query.weight}. */
    Map<String, Parameter> namedParameters();

    /** The declared shape of every parameter by HF name (also before weights are loaded). */
    Map<String, ai.djl.ndarray.types.Shape> namedParameterShapes();

    /** Every module by its HF path, e.g. {@code encoder.layer.0.attention.self.query}; the root is "". */
    Map<String, HfModule> namedModules();

    /** The architecture's config as written to {@code config.json}. */
    Object config();

    int hiddenSize();

    int numLayers();

    int maxPositions();
}
