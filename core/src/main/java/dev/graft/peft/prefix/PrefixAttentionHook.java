package dev.graft.peft.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.model.nn.OnnxAttentionHook;
import dev.graft.model.nn.OnnxExport;

/**
 * Prepends one layer's trained prefix to its attention keys and values, and zeros (attend) to its mask, as HF BERT
 * does with {@code past_key_values}: queries stay the real tokens, so the output keeps its [B, T, H] shape.
 */
final class PrefixAttentionHook implements OnnxAttentionHook {
    private final PrefixTable table;
    private final int layer;
    private final int heads;
    private final int headSize;

    PrefixAttentionHook(PrefixTable table, int layer, int heads, int headSize) {
        this.table = table;
        this.layer = layer;
        this.heads = heads;
        this.headSize = headSize;
    }

    @Override
    public KeysValues extend(NDArray keys, NDArray values, NDArray maskBias, boolean training) {
        NDManager batch = keys.getManager();
        long b = keys.getShape().get(0);
        int p = table.tokens();
        NDArray kv = table.layer(layer, batch);                   // [P, 2H]
        NDArray split = kv.reshape(p, 2, heads, headSize);         // [P, 2, h, d]
        NDArray perm = split.transpose(1, 2, 0, 3);                // [2, h, P, d]
        NDArray prefixKeys = expand(perm.get(0), b);
        NDArray prefixValues = expand(perm.get(1), b);
        kv.close();
        split.close();
        perm.close();
        NDArray k = prefixKeys.concat(keys, 2);
        NDArray v = prefixValues.concat(values, 2);
        prefixKeys.close();
        prefixValues.close();
        NDArray zeros = batch.zeros(new Shape(b, 1, 1, p));
        NDArray mask = zeros.concat(maskBias, 3);
        zeros.close();
        return new KeysValues(k, v, mask);
    }

    /**
     * The graph form of {@link #extend}: this layer's prefix keys and values are constants [1, h, P, d], expanded to
     * the batch and put before the real tokens'; the mask gets P zeros in front.
     */
    @Override
    public Extended exportExtend(OnnxExport export, String keys, String values, String maskBias) {
        var g = export.graph();
        int p = table.tokens();
        float[] prefixKeys;
        float[] prefixValues;
        try (NDManager scratch = dev.graft.runtime.Engines.newManager()) {
            NDArray kv = table.layer(layer, scratch).reshape(p, 2, heads, headSize).transpose(1, 2, 0, 3); // [2, h, P, d]
            prefixKeys = kv.get(0).toFloatArray();
            prefixValues = kv.get(1).toFloatArray();
        }
        String name = "encoder.layer." + layer + ".attention.self.prefix";
        String batch = g.concat(0, g.batchDim(keys), g.ints(1, 1, 1));
        String k = g.op("Expand", java.util.List.of(g.weight(name + ".keys", prefixKeys, 1, heads, p, headSize), batch));
        String v = g.op("Expand", java.util.List.of(g.weight(name + ".values", prefixValues, 1, heads, p, headSize), batch));
        String zeros = g.op("Expand", java.util.List.of(g.weight(name + ".mask", new float[p], 1, 1, 1, p), batch));
        return new Extended(g.concat(2, k, keys), g.concat(2, v, values), g.concat(3, zeros, maskBias));
    }

    /** [h, P, d] to [B, h, P, d]. */
    private static NDArray expand(NDArray x, long b) {
        NDArray e = x.expandDims(0);
        x.close();
        NDArray out = e.broadcast(b, e.getShape().get(1), e.getShape().get(2), e.getShape().get(3));
        e.close();
        return out;
    }
}
