package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A dense layer {@code y = x Wᵀ + b} with HF parameter names {@code weight} [out, in] and {@code bias} [out].
 *
 * <p>PEFT methods attach {@link LinearHook}s here (LoRA adds a low-rank term, (IA)³ scales); with no hook it is a
 * plain linear layer.
 */
public class HfLinear extends HfModule {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final List<LinearHook> hooks = new CopyOnWriteArrayList<>();

    public HfLinear(int in, int out, boolean withBias) {
        this.in = in;
        this.out = out;
        this.weight = hfParameter("weight", Parameter.Type.WEIGHT, new Shape(out, in));
        this.bias = withBias ? hfParameter("bias", Parameter.Type.BIAS, new Shape(out)) : null;
    }

    /**
     * @param x [..., in]
     * @return [..., out]
     */
    public NDArray forward(NDArray x, boolean training) {
        NDArray input = x;
        for (LinearHook h : hooks) {
            NDArray next = h.beforeLinear(this, input, training);
            if (input != x) {
                input = dev.graft.runtime.Arrays2.replace(input, next);
            } else {
                input = next;
            }
        }
        NDArray y = Linear.linear(input, weight.getArray(), bias == null ? null : bias.getArray()).singletonOrThrow();
        if (input != x) {
            input.close();
        }
        for (LinearHook h : hooks) {
            y = dev.graft.runtime.Arrays2.replace(y, h.afterLinear(this, x, y, training));
        }
        return y;
    }

    /**
     * Writes this layer, with its hooks, into an ONNX graph: the graph form of {@link #forward}.
     *
     * @param name the layer's HF path (names its weights and appears in errors)
     * @param x    [..., in]
     * @return [..., out]
     * @throws dev.graft.GraftException when a hook has no ONNX form
     */
    public String exportOnnx(OnnxExport export, String name, String x) {
        List<OnnxLinearHook> exportable = exportableHooks(name);
        String input = x;
        for (OnnxLinearHook h : exportable) {
            input = h.exportBeforeLinear(export, this, input);
        }
        String y = export.linear(name, weight, bias, input);
        for (OnnxLinearHook h : exportable) {
            y = h.exportAfterLinear(export, this, x, y);
        }
        return y;
    }

    private List<OnnxLinearHook> exportableHooks(String name) {
        List<OnnxLinearHook> out = new java.util.ArrayList<>();
        for (LinearHook h : hooks) {
            if (!(h instanceof OnnxLinearHook o)) {
                throw new dev.graft.GraftException(name + ": the change " + h.getClass().getSimpleName()
                        + " makes to this layer has no ONNX form; it cannot be exported");
            }
            out.add(o);
        }
        return out;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias parameter, or null for a layer without bias. */
    public Parameter bias() {
        return bias;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public void addHook(LinearHook hook) {
        hooks.add(hook);
    }

    public boolean removeHook(LinearHook hook) {
        return hooks.remove(hook);
    }

    public List<LinearHook> hooks() {
        return List.copyOf(hooks);
    }
}
