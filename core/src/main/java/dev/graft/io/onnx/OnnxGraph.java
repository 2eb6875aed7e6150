package dev.graft.io.onnx;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of an ONNX model that weight import needs: nodes, initializers, graph inputs and outputs.
 * Constant nodes' tensors are listed with the initializers under their output names.
 */
public final class OnnxGraph {
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    OnnxGraph(List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs, List<String> outputs) {
        this.nodes = List.copyOf(nodes);
        this.initializers = Map.copyOf(initializers);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (OnnxNode n : nodes) {
            for (String o : n.outputs()) {
                producers.put(o, n);
            }
            for (String i : n.inputs()) {
                consumers.computeIfAbsent(i, k -> new java.util.ArrayList<>()).add(n);
            }
        }
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    /** Initializers (and Constant node values) by name. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Graph input names that are not initializers (the model's real inputs). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The node that produces a value, if any. */
    public Optional<OnnxNode> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    /** The nodes that consume a value (empty if none). */
    public List<OnnxNode> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }
}
