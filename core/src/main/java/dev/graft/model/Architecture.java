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

    /**
     * Writes {@code encoder} (built by {@link #create}, with whatever hooks are installed on it) into an ONNX graph that
     * computes exactly what {@link Encoder#encode} computes at inference. The graph's inputs are declared here:
     * {@code input_ids}, {@code attention_mask} and {@code token_type_ids}, int64 [batch, sequence].
     *
     * @throws dev.graft.GraftException when the architecture or an installed change has no ONNX form
     */
    default EncoderGraph exportOnnx(Encoder encoder, dev.graft.model.nn.OnnxExport export) {
        throw new dev.graft.GraftException("architecture '" + name() + "' cannot be exported to ONNX");
    }

    /**
     * The value names of an exported encoder.
     *
     * @param inputIds        graph input [B, T] int64
     * @param attentionMask   graph input [B, T] int64
     * @param tokenTypeIds    graph input [B, T] int64
     * @param lastHiddenState [B, T, H] float
     * @param pooled          [B, H], the HF pooler's output, or null when the model has no pooler
     */
    record EncoderGraph(String inputIds, String attentionMask, String tokenTypeIds, String lastHiddenState, String pooled) {
    }

    /** What {@link #importOnnx} recovers: the tensors under HF names and the matching config.json tree. */
    record OnnxImport(dev.graft.io.TensorSource weights, JsonNode config) {
    }
}
