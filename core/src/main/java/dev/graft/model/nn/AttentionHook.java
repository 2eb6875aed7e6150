package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * A learned change to self-attention's keys and values (prefix tuning prepends trained vectors to both).
 * Shapes: B batch, h heads, T tokens, d head size.
 */
public interface AttentionHook {
    /**
     * @param keys     [B, h, T, d]
     * @param values   [B, h, T, d]
     * @param maskBias [B, 1, 1, T] additive mask
     * @return the keys, values and mask to attend over ([B, h, P+T, d], [B, h, P+T, d], [B, 1, 1, P+T])
     */
    KeysValues extend(NDArray keys, NDArray values, NDArray maskBias, boolean training);

    /** Keys, values and their additive mask. */
    record KeysValues(NDArray keys, NDArray values, NDArray maskBias) {
    }
}
