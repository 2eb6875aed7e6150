package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.util.Map;

/**
 * ScaLearn's combination (Frohmann et al. 2024, https://arxiv.org/abs/2310.01217) at one site:
 * {@code out = y + Σₙ ωₙ ⊙ δₙ(y)}, where {@code δₙ} is source adapter n's output before its residual connection and
 * {@code ω} is [N, H] (ScaLearn, per-dimension scales) or [N, 1] (ScaLearnUniform, one scalar per source). The same
 * {@code ω} parameter may be shared by every layer (ScaLearn++, ScaLearnUniform++).
 */
final class ScaLearnScaling implements Combiner {
    private final String name;
    private final Parameter omega;

    /**
     * @param name  the saved name of {@code omega}
     * @param omega [N, H] or [N, 1]
     */
    ScaLearnScaling(String name, Parameter omega) {
        this.name = name;
        this.omega = omega;
    }

    @Override
    public NDArray combine(NDArray y, NDArray deltas) {
        // deltas first: the product belongs to the batch's manager, not the parameter's. [.., N, H] * [N, H|1] broadcasts.
        NDArray scaled = deltas.mul(omega.getArray());
        NDArray sum = scaled.sum(new int[] {deltas.getShape().dimension() - 2});
        scaled.close();
        return y.add(sum);
    }

    @Override
    public String exportOnnx(dev.graft.model.nn.OnnxExport export, String y, String deltas) {
        var g = export.graph();
        return g.add(y, g.reduceSum(g.mul(deltas, export.weight(name, omega)), false, 2));
    }

    @Override
    public Map<String, Parameter> parameters() {
        return Map.of(name, omega);
    }
}
