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
