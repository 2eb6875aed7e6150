package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.Map;

/**
 * How one adapter site combines the outputs of its frozen source adapters. Shapes: N sources, H hidden, {@code ...} the
 * leading dimensions of the sub-layer output (batch, tokens).
 */
public interface Combiner {
    /**
     * @param y      the sub-layer's output, which every source adapter received, [..., H]
     * @param deltas the source adapters' changes {@code up(act(down(y)))}, stacked on the second-to-last axis, [..., N, H]
     * @return the adapted output, [..., H] (the residual {@code y} included)
     */
    NDArray combine(NDArray y, NDArray deltas);

    /**
     * The graph form of {@link #combine}.
     *
     * @param y      [B, T, H]
     * @param deltas [B, T, N, H]
     * @return [B, T, H]
     */
    String exportOnnx(dev.graft.model.nn.OnnxExport export, String y, String deltas);

    /** The combination's trainable parameters by saved name (shared parameters appear at every site that uses them). */
    Map<String, Parameter> parameters();
}
