package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019): Adam moments with bias
 * correction, and weight decay applied to the weights directly rather than through the gradient. Biases and
 * layer-norm weights are not decayed (the usual BERT fine-tuning practice).
 *
 * <p>Updates run in place on the parameter arrays; the moment arrays live in the optimizer's own manager.
 */
public final class AdamW implements AutoCloseable {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long steps;

    public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
    }

    /** Whether decoupled weight decay applies to a parameter, by its name. */
    static boolean decays(String name) {
        return !(name.endsWith("bias") || name.contains("LayerNorm") || name.contains("layer_norm"));
    }

    /**
     * One update of every parameter with the gradients given.
     *
     * @param params    parameters by name
     * @param gradients their gradients by the same names (already clipped)
     * @param lr        learning rate for this step
     */
    public void step(Map<String, Parameter> params, Map<String, NDArray> gradients, double lr) {
        steps++;
        double c1 = 1 - Math.pow(beta1, steps);
        double c2 = 1 - Math.pow(beta2, steps);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            NDArray w = e.getValue().getArray();
            NDArray g = gradients.get(name);
            // moments live as long as the optimizer: create them outside the scope below
            NDArray mi = m.computeIfAbsent(name, k -> manager.zeros(w.getShape()));
            NDArray vi = v.computeIfAbsent(name, k -> manager.zeros(w.getShape()));
            try (NDScope scope = new NDScope()) {
                // m = b1·m + (1-b1)·g ;  v = b2·v + (1-b2)·g²  (in place; temporaries close with the scope)
                mi.muli(beta1).addi(g.mul(1 - beta1));
                vi.muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray update = mi.div(c1).divi(vi.div(c2).sqrt().addi(eps)).muli(lr);
                if (weightDecay > 0 && decays(name)) {
                    w.muli(1 - lr * weightDecay);
                }
                w.subi(update);
            }
        }
    }

    /** Number of updates made so far. */
    public long steps() {
        return steps;
    }

    /** Moment arrays by "m." / "v." + parameter name, for checkpoints. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        m.forEach((k, a) -> s.put("m." + k, a));
        v.forEach((k, a) -> s.put("v." + k, a));
        return s;
    }

    /** Restores moments and the step count from a checkpoint. */
    public void restore(Map<String, float[]> state, Map<String, Parameter> params, long stepCount) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            float[] mm = state.get("m." + e.getKey());
            float[] vv = state.get("v." + e.getKey());
            if (mm != null && vv != null) {
                var shape = e.getValue().getArray().getShape();
                m.put(e.getKey(), dev.graft.runtime.Arrays2.owned(manager, mm, shape));
                v.put(e.getKey(), dev.graft.runtime.Arrays2.owned(manager, vv, shape));
            }
        }
        this.steps = stepCount;
    }

    @Override
    public void close() {
        manager.close();
    }
}
