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
    private boolean int8;

    public OnnxExport(OnnxGraphBuilder graph) {
        this.graph = graph;
    }

    public OnnxGraphBuilder graph() {
        return graph;
    }

    /**
     * Whether dense layers written from now on store 8-bit weights and multiply in integers ({@link
     * dev.graft.io.onnx.Int8MatMul}), all but the FFN's output projection; the exporter turns it on for the encoder
     * and off for a task head.
     */
    public void int8(boolean on) {
        this.int8 = on;
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
     * {@code y = x·Wᵀ + b} with no hooks (an int8 product when {@link #int8} is on).
     *
     * @param name   the layer's path, naming its weights in the graph
     * @param weight [out, in]
     * @param bias   [out], or null
     * @param x      [..., in]
     * @return [..., out]
     */
    public String linear(String name, Parameter weight, Parameter bias, String x) {
        String y;
        // the FFN's output projection stays fp32: its input (after GELU) has outliers that per-tensor activation
        // quantisation loses (measured: all-minilm-l6-v2's worst cosine to fp32 0.964 with it, 0.981 without)
        boolean ffnOutput = name.endsWith(".output.dense") && !name.endsWith("attention.output.dense");
        if (int8 && !ffnOutput) {
            try (NDArray t = weight.getArray().transpose()) {
                long[] s = t.getShape().getShape();
                y = dev.graft.io.onnx.Int8MatMul.emit(graph, name + ".weight", t.toFloatArray(), (int) s[0], (int) s[1], x);
            }
        } else {
            y = graph.matMul(x, weightTransposed(name + ".weight", weight));
        }
        return bias == null ? y : graph.add(y, weight(name + ".bias", bias));
    }
}
