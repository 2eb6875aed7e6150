package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Arrays2;
import dev.graft.text.TokenizedText;
import java.util.Arrays;
import java.util.List;

/**
 * Padded encoder inputs for one batch.
 *
 * @param ids     [B, T] int64 token ids, padded with 0
 * @param mask    [B, T] int64, 1 for real tokens
 * @param typeIds [B, T] int64 segment ids
 */
public record TokenBatch(NDArray ids, NDArray mask, NDArray typeIds) {
    /** Pads to the batch's longest sequence; the arrays belong to {@code manager}. */
    public static TokenBatch of(List<TokenizedText> batch, NDManager manager) {
        int t = batch.stream().mapToInt(TokenizedText::length).max().orElse(1);
        int b = batch.size();
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] types = new long[b * t];
        for (int i = 0; i < b; i++) {
            TokenizedText x = batch.get(i);
            System.arraycopy(x.ids(), 0, ids, i * t, x.length());
            System.arraycopy(x.typeIds(), 0, types, i * t, x.length());
            Arrays.fill(mask, i * t, i * t + x.length(), 1L);
        }
        Shape shape = new Shape(b, t);
        // native-owned copies: autograd keeps the ids for the embedding backward
        return new TokenBatch(Arrays2.owned(manager, ids, shape), Arrays2.owned(manager, mask, shape),
                Arrays2.owned(manager, types, shape));
    }
}
