package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs a frozen forward pass over token-budget batches and gathers one row per text, in the caller's order: what
 * prediction, evaluation and probe fitting share.
 */
public final class BatchedRows {
    private BatchedRows() {
    }

    /**
     * @param parent  each batch runs in a sub-manager of this one, closed after its rows are copied out
     * @param tokens  the texts, [texts] of [T_i] tokens
     * @param batcher how texts are cut into batches
     * @param forward a padded batch to its rows, [B, C] (any float type)
     * @return [texts][C]
     */
    public static float[][] of(NDManager parent, List<TokenizedText> tokens, TokenBudgetBatcher batcher,
                               Function<TokenBatch, NDArray> forward) {
        return ofTexts(parent, tokens, batcher, (batch, scope) -> forward.apply(TokenBatch.of(batch, scope)));
    }

    /**
     * As {@link #of}, handing each batch over as its texts (for an engine that pads them itself).
     *
     * @param forward a batch's texts and the sub-manager its arrays belong to, to its rows [B, C]
     */
    public static float[][] ofTexts(NDManager parent, List<TokenizedText> tokens, TokenBudgetBatcher batcher,
                                    java.util.function.BiFunction<List<TokenizedText>, NDManager, NDArray> forward) {
        return gather(tokens, batcher, batch -> {
            try (NDManager scope = parent.newSubManager()) {
                NDArray rows = forward.apply(batch, scope);
                int c = (int) rows.getShape().get(1);
                float[] flat = rows.toType(DataType.FLOAT32, false).toFloatArray();
                float[][] out = new float[batch.size()][];
                for (int k = 0; k < out.length; k++) {
                    out[k] = java.util.Arrays.copyOfRange(flat, k * c, (k + 1) * c);
                }
                return out;
            }
        });
    }

    /**
     * Cuts {@code tokens} into the batcher's batches, computes each batch's rows with {@code forward} and returns them
     * in the caller's order.
     *
     * @param forward a batch's texts to one row per text, [B][C]
     * @return [texts][C]
     */
    public static float[][] gather(List<TokenizedText> tokens, TokenBudgetBatcher batcher,
                                   Function<List<TokenizedText>, float[][]> forward) {
        float[][] out = new float[tokens.size()][];
        for (TokenBudgetBatcher.Batch b : batcher.plan(tokens)) {
            int[] idx = b.indices();
            List<TokenizedText> batch = new ArrayList<>(idx.length);
            for (int i : idx) {
                batch.add(tokens.get(i));
            }
            float[][] rows = forward.apply(batch);
            for (int k = 0; k < idx.length; k++) {
                out[idx[k]] = rows[k];
            }
        }
        return out;
    }
}
