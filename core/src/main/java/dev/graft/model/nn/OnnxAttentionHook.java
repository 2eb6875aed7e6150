package dev.graft.model.nn;

/** An {@link AttentionHook} that can also write its change into an ONNX graph (shapes as there: B, h, T, d). */
public interface OnnxAttentionHook extends AttentionHook {
    /**
     * The graph form of {@link #extend}.
     *
     * @param keys     [B, h, T, d]
     * @param values   [B, h, T, d]
     * @param maskBias [B, 1, 1, T]
     * @return the value names of the extended keys, values and mask
     */
    Extended exportExtend(OnnxExport export, String keys, String values, String maskBias);

    /** Value names of keys [B, h, P+T, d], values [B, h, P+T, d] and mask [B, 1, 1, P+T]. */
    record Extended(String keys, String values, String maskBias) {
    }
}
