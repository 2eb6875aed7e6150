package dev.graft.model.nn;

/** An {@link InputHook} that can also write its virtual tokens into an ONNX graph. */
public interface OnnxInputHook extends InputHook {
    /**
     * The graph form of {@link #virtualEmbeddings}.
     *
     * @param wordEmbeddings [B, T, H]
     * @return [B, P, H]
     */
    String exportVirtualEmbeddings(OnnxExport export, String wordEmbeddings);
}
