package dev.graft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * One model family (BERT now; RoBERTa, DistilBERT, decoders later) that Graft can build from a {@code config.json}.
 * Implementations are found with {@link java.util.ServiceLoader}; callers go through {@link Architectures}.
 */
public interface Architecture {
    /** Registry name, lower case, e.g. {@code bert}. */
    String name();

    /** The {@code model_type} values of config.json this architecture handles. */
    Set<String> modelTypes();

    /**
     * Builds the network (parameters uninitialised).
     *
     * @param config      the parsed config.json
     * @param weightNames names in the checkpoint (e.g. to decide whether a pooler exists), normalised by {@link #rename}
     */
    Encoder create(JsonNode config, Set<String> weightNames);

    /** Maps a checkpoint tensor name to the network's HF name, or null for tensors the encoder does not use. */
    String rename(String checkpointName);

    /**
     * Weights and a config.json recovered from an exported ONNX inference graph of this architecture (the bundled
     * models ship only as ONNX).
     *
     * @param graph          the parsed graph
     * @param source         names the file in messages
     * @param fallbackHeads  attention heads when the graph does not reveal them
     * @throws dev.graft.GraftException when the graph is not of this architecture or the architecture cannot import ONNX
     */
    default OnnxImport importOnnx(dev.graft.io.onnx.OnnxGraph graph, String source, int fallbackHeads) {
        throw new dev.graft.GraftException(source + ": architecture '" + name() + "' cannot import ONNX graphs");
    }

    /** What {@link #importOnnx} recovers: the tensors under HF names and the matching config.json tree. */
    record OnnxImport(dev.graft.io.TensorSource weights, JsonNode config) {
    }
}
