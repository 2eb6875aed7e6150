package dev.graft.model;

/**
 * Facts about a loaded model.
 *
 * @param id            the bundled id or the directory it came from
 * @param architecture  architecture name in the registry, e.g. {@code bert}
 * @param layers        transformer layers
 * @param hiddenSize    hidden size H
 * @param heads         attention heads
 * @param intermediateSize FFN inner size
 * @param vocabSize     tokenizer vocabulary / embedding rows
 * @param maxPositions  longest sequence the position embeddings allow
 * @param parameters    number of weights
 * @param source        where the weights were read from (file or jar path)
 */
public record ModelInfo(String id, String architecture, int layers, int hiddenSize, int heads, int intermediateSize,
                        int vocabSize, int maxPositions, long parameters, String source) {
}
