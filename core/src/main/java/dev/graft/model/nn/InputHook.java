package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * A learned change to the input sequence: prompt tuning prepends trained "virtual token" embeddings to the word
 * embeddings. The encoder attends over them and returns hidden states for the real tokens only, so pooling and
 * heads are unchanged.
 */
public interface InputHook {
    /** Number of virtual tokens prepended. */
    int virtualTokens();

    /**
     * @param wordEmbeddings [B, T, H] word-embedding rows of the real tokens
     * @return [B, P, H] the virtual token embeddings for this batch
     */
    NDArray virtualEmbeddings(NDArray wordEmbeddings, boolean training);
}
