package dev.graft.peft.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.model.nn.AttentionHook;

/**
 * Prepends one layer's trained prefix to its attention keys and values, and zeros (attend) to its mask, as HF BERT
 * does with {@code past_key_values}: queries stay the real tokens, so the output keeps its [B, T, H] shape.
 */
final class PrefixAttentionHook implements AttentionHook {
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

    /** [h, P, d] to [B, h, P, d]. */
    private static NDArray expand(NDArray x, long b) {
        NDArray e = x.expandDims(0);
        x.close();
        NDArray out = e.broadcast(b, e.getShape().get(1), e.getShape().get(2), e.getShape().get(3));
        e.close();
        return out;
    }
}
