package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Arrays2;
import dev.graft.text.TokenizedText;
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
        return of(TokenIds.pad(batch), manager);
    }

    /** The same padded batch as arrays of {@code manager}. */
    public static TokenBatch of(TokenIds in, NDManager manager) {
        Shape shape = new Shape(in.batch(), in.length());
        // native-owned copies: autograd keeps the ids for the embedding backward
        return new TokenBatch(Arrays2.owned(manager, in.ids(), shape), Arrays2.owned(manager, in.mask(), shape),
                Arrays2.owned(manager, in.typeIds(), shape));
    }
}
