package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.graft.io.onnx.OnnxGraphBuilder;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The state of one ONNX export: the graph being built and the weights already in it. Encoders, their modules and
 * PEFT hooks write their computation through it, so that a parameter shared by several modules (a ScaLearn++ scale, a
 * fusion source) is stored once.
 */
public final class OnnxExport {
    private final OnnxGraphBuilder graph;
    private final Map<Parameter, String> weights = new IdentityHashMap<>();
    private final Map<Parameter, String> transposed = new IdentityHashMap<>();

    public OnnxExport(OnnxGraphBuilder graph) {
        this.graph = graph;
    }

    public OnnxGraphBuilder graph() {
        return graph;
    }

    /**
     * A parameter as an initializer, in its own shape (added the first time, reused after).
     *
     * @param name the name to store it under (its HF or saved name)
     */
    public String weight(String name, Parameter p) {
        return weights.computeIfAbsent(p, k -> store(name, k.getArray()));
    }

    /** An array as a new initializer, in its own shape. */
    public String store(String name, NDArray a) {
        return graph.weight(name, a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), a.getShape().getShape());
    }

    /**
     * A dense weight [out, in] stored transposed, [in, out], so that {@code MatMul(x, Wᵀ)} needs no Transpose node.
     */
    public String weightTransposed(String name, Parameter w) {
        return transposed.computeIfAbsent(w, k -> {
            try (NDArray t = k.getArray().transpose()) {
                return store(name, t);
            }
        });
    }

    /**
     * {@code y = x·Wᵀ + b} with no hooks (as MatMul and Add, which an int8 export quantises afterwards).
     *
     * @param name   the layer's path, naming its weights in the graph
     * @param weight [out, in]
     * @param bias   [out], or null
     * @param x      [..., in]
     * @return [..., out]
     */
    public String linear(String name, Parameter weight, Parameter bias, String x) {
        String y = graph.matMul(x, weightTransposed(name + ".weight", weight));
        return bias == null ? y : graph.add(y, weight(name + ".bias", bias));
    }
}
