package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import java.util.Set;

/** The FFN activations HF BERT configs name in {@code hidden_act}. */
final class Activations {
    private static final Set<String> KNOWN = Set.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish");

    private Activations() {
    }

    static void check(String name) {
        if (!KNOWN.contains(name)) {
            throw new GraftException("config.json: field 'hidden_act' is '" + name + "', expected one of " + KNOWN);
        }
    }

    /** The graph form of {@link #apply}. */
    static String exportOnnx(String name, dev.graft.io.onnx.OnnxGraphBuilder g, String x) {
        return switch (name) {
            case "gelu" -> g.geluErf(x);
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> g.geluTanh(x);
            case "relu" -> g.op("Relu", x);
            default -> g.silu(x);
        };
    }

    static NDArray apply(String name, NDArray x) {
        return switch (name) {
            case "gelu" -> Activation.gelu(x); // PyTorch's exact erf form, as HF "gelu"
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                // out of place: tanh's backward needs its own output unchanged
                // out of place, with PyTorch-owned scalars (see Arrays2.scalar)
                var m = x.getManager();
                NDArray inner = x.pow(Arrays2.scalar(m, 3f)).mul(Arrays2.scalar(m, 0.044715f)).add(x)
                        .mul(Arrays2.scalar(m, (float) Math.sqrt(2 / Math.PI))).tanh();
                yield inner.add(Arrays2.scalar(m, 1f)).mul(x).mul(Arrays2.scalar(m, 0.5f));
            }
            case "relu" -> Activation.relu(x);
            default -> Activation.swish(x, 1f);
        };
    }
}
