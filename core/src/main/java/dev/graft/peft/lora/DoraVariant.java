package dev.graft.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.graft.model.nn.HfLinear;

/**
 * DoRA (Liu et al. 2024, "DoRA: Weight-Decomposed Low-Rank Adaptation"): the adapted weight is
 * {@code m ⊙ (W + s·BA) / ‖W + s·BA‖}, the norm taken per output row ([out]) and treated as a constant for the
 * gradient, as the paper and PEFT do. The magnitude m [out] starts at ‖W‖, so the layer starts equal to the base.
 * Computed without materialising the new weight in the forward pass:
 * {@code y + (g − 1)·(x Wᵀ) + g·s·B(A(x))} with {@code g = m / ‖W + s·BA‖}.
 */
final class DoraVariant {
    private final HfLinear layer;
    private final Parameter magnitude;

    DoraVariant(HfLinear layer, NDManager manager) {
        this.layer = layer;
        magnitude = Parameter.builder().setName("lora_magnitude_vector").setType(Parameter.Type.WEIGHT).build();
        NDArray w = layer.weight().getArray();
        NDArray norm = w.norm(new int[] {1});
        NDArray m = norm.duplicate();
        norm.close();
        m.attach(manager);
        magnitude.setArray(m);
    }

    Parameter magnitude() {
        return magnitude;
    }

    /** g = m / ‖W + ΔW‖ per output row, the norm detached from the gradient. [out] */
    NDArray scale(NDArray adaptedWeight) {
        NDArray norm = adaptedWeight.norm(new int[] {1}).stopGradient();
        NDArray g = magnitude.getArray().div(norm);
        g.attach(adaptedWeight.getManager()); // ops on the parameter attach to its manager; keep temporaries with the batch
        return g;
    }

    /**
     * @param x      the (dropped-out) input [..., in]
     * @param y      the base output with bias [..., out]
     * @param update B(A(x)) unscaled [..., out]
     * @param delta  s·BA [out, in]
     */
    NDArray apply(NDArray x, NDArray y, NDArray update, NDArray delta, float scaling) {
        NDArray g = scale(delta.add(layer.weight().getArray())); // delta first: results stay in the batch's manager
        NDArray base = Linear.linear(x, layer.weight().getArray(), null).singletonOrThrow();
        var m = x.getManager();
        return y.add(base.mul(g.sub(dev.graft.runtime.Arrays2.scalar(m, 1f))))
                .add(update.mul(dev.graft.runtime.Arrays2.scalar(m, scaling)).mul(g));
    }
}
