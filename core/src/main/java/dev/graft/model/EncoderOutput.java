package dev.graft.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What an {@link Encoder} returns.
 *
 * @param lastHiddenState [B, T, H]
 * @param pooled          [B, H] output of the HF pooler (tanh(dense(CLS))), or null if the model has none
 * @param hiddenStates    embeddings output then each layer's output, L+1 arrays of [B, T, H]; empty unless asked for
 */
public record EncoderOutput(NDArray lastHiddenState, NDArray pooled, List<NDArray> hiddenStates) {
}
