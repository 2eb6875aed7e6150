package dev.graft.model.nn;

/**
 * A {@link LinearHook} that can also write its change into an ONNX graph. Export refuses a model with a hook that
 * is not one. Both methods default to identity and must mirror the hook's forward methods.
 */
public interface OnnxLinearHook extends LinearHook {
    /**
     * The graph form of {@link #beforeLinear}.
     *
     * @param x the layer's input value [..., in]
     * @return the value the dense product reads, [..., in]
     */
    default String exportBeforeLinear(OnnxExport export, HfLinear layer, String x) {
        return x;
    }

    /**
     * The graph form of {@link #afterLinear}.
     *
     * @param x the layer's original input [..., in]
     * @param y the dense output so far [..., out]
     * @return [..., out]
     */
    default String exportAfterLinear(OnnxExport export, HfLinear layer, String x, String y) {
        return y;
    }
}
